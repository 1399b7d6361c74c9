-- events and its partitions, with their bounds
SELECT oid::regclass AS "table", relkind, relispartition,
       pg_get_expr(relpartbound, oid) AS bounds
FROM pg_class
WHERE relname LIKE 'events%' AND relkind IN ('r', 'p')
ORDER BY relname;

-- which partition holds each row
SELECT tableoid::regclass AS partition, created_at, name FROM events ORDER BY created_at;
