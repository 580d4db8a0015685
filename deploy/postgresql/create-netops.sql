-- Run once as the postgres superuser on the database host:
--   sudo -u postgres psql -v password="'…'" -f create-netops.sql
-- netops creates and migrates its own tables (netops-migrate); it needs no superuser.
CREATE ROLE netops LOGIN PASSWORD :password;
CREATE DATABASE netops OWNER netops ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE netops FROM PUBLIC;
