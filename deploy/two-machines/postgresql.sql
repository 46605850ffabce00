-- On the PostgreSQL server (13 or newer; 15 is what the tests run), as a superuser:
--   psql -f postgresql.sql
-- then allow both machines in pg_hba.conf, e.g.
--   hostssl hongyan hongyan 10.0.0.11/32 scram-sha-256
--   hostssl hongyan hongyan 10.0.0.12/32 scram-sha-256
-- Connections: each hongyan process keeps a pool of up to 10 and one more for LISTEN;
-- a `--workers 4` API, a notifier and a dispatcher need about 70 (max_connections >= 100).
CREATE ROLE hongyan LOGIN PASSWORD 'CHANGE-ME';
CREATE DATABASE hongyan OWNER hongyan ENCODING 'UTF8' TEMPLATE template0;
