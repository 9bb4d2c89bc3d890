#!/bin/sh
# Run once by the postgres image when its data directory is first created (docker-compose.yml mounts this folder
# on /docker-entrypoint-initdb.d). Two roles besides the superuser:
#   hwms_owner  owns the database and its tables; only `manage.py migrate` (the compose service "migrate") logs in
#               as it. An owner can disable triggers, so the application never runs as it.
#   hwms_app    what web, worker and beat log in as: SELECT, INSERT, UPDATE, DELETE on the tables the owner creates,
#               minus UPDATE/DELETE/TRUNCATE on the audit tables (accounts migration 0005 takes those away).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v db="$POSTGRES_DB" -v owner_password="$HWMS_OWNER_PASSWORD" -v app_password="$HWMS_APP_PASSWORD" <<'SQL'
CREATE ROLE hwms_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE hwms_app LOGIN PASSWORD :'app_password';
ALTER DATABASE :"db" OWNER TO hwms_owner;
ALTER SCHEMA public OWNER TO hwms_owner;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO hwms_app;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO hwms_app;
ALTER DEFAULT PRIVILEGES FOR ROLE hwms_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO hwms_app;
ALTER DEFAULT PRIVILEGES FOR ROLE hwms_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO hwms_app;
SQL
