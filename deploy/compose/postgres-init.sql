-- Runs once, when the PostgreSQL volume is first created: one database per service, all owned by
-- the tqr user (Compose is development; production gives each service its own role).
CREATE DATABASE identity OWNER tqr;
CREATE DATABASE application OWNER tqr;
CREATE DATABASE notification OWNER tqr;
CREATE DATABASE documents OWNER tqr;
