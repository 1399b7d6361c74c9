#!/bin/sh
# The container's entrypoint: migrate, then become the app (exec keeps signals working).
set -e
alembic upgrade head
exec "$@"
