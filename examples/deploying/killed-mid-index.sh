# A deploy killed while CREATE INDEX CONCURRENTLY waits for the app's open transaction
sql() { psql "$DATABASE_URL" -Atqc "$1"; }
valid="SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_users_last_name'::regclass"
building="SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'CREATE INDEX CONCURRENTLY%'"

# The app: a transaction that has written to users, open for 3 s
psql "$DATABASE_URL" -q -c "BEGIN" -c "INSERT INTO users (id) VALUES (1000)" \
    -c "SELECT pg_sleep(3)" -c "ROLLBACK" > /dev/null &

# The deploy, killed as a platform kills a container (SIGKILL) while the build waits
alembic upgrade head > deploy.log 2>&1 &
until [ "$(sql "$building AND wait_event_type = 'Lock'")" = 1 ]; do sleep 0.1; done
kill -9 $!
echo "deploy killed; ix_users_last_name valid: $(sql "$valid")"

# The app's transaction ends; the server process of the killed deploy builds on
wait
until [ "$(sql "$building")" = 0 ]; do sleep 0.1; done
echo "its build ended; ix_users_last_name valid: $(sql "$valid")"
