#!/usr/bin/env bash
# Lints the SQL of every migration after revision $1, the newest one already deployed.
# pipefail: when alembic prints no SQL and fails, the lint fails too (squawk passes "").
set -euo pipefail
alembic upgrade "${1:?usage: lint-migrations.sh REVISION}:head" --sql | squawk --reporter gcc
