-- Each way in a transaction, rolled back: the locks it took on events.
BEGIN;
CREATE TABLE events_2026_03 PARTITION OF events
    FOR VALUES FROM ('2026-03-01 00:00+00') TO ('2026-04-01 00:00+00');
SELECT 'CREATE TABLE ... PARTITION OF' AS statement, string_agg(mode, ', ') AS locks
FROM pg_locks WHERE relation = 'events'::regclass AND pid = pg_backend_pid();
ROLLBACK;

BEGIN;
CREATE TABLE events_2026_03 (LIKE events);
ALTER TABLE events ATTACH PARTITION events_2026_03
    FOR VALUES FROM ('2026-03-01 00:00+00') TO ('2026-04-01 00:00+00');
SELECT 'CREATE TABLE, ATTACH PARTITION' AS statement, string_agg(mode, ', ') AS locks
FROM pg_locks WHERE relation = 'events'::regclass AND pid = pg_backend_pid();
ROLLBACK;

BEGIN;
ALTER TABLE events DETACH PARTITION events_2026_01;
SELECT 'DETACH PARTITION' AS statement, string_agg(mode, ', ') AS locks
FROM pg_locks WHERE relation = 'events'::regclass AND pid = pg_backend_pid();
ROLLBACK;
