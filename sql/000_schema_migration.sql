-- 000_schema_migration.sql: the record of which schema files have been applied.
--
-- Every file in sql/ is idempotent (CREATE TABLE IF NOT EXISTS, INSERT IGNORE), so running them
-- all again, or after an interrupted run, is safe. This table lets operators and the admin tool
-- see what a database holds.
CREATE TABLE IF NOT EXISTS tb_schema_migration (
  version    varchar(64)     NOT NULL COMMENT 'file name without .sql',
  applied_at bigint unsigned NOT NULL DEFAULT 0 COMMENT 'unix seconds',
  PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT IGNORE INTO tb_schema_migration (version, applied_at)
VALUES ('000_schema_migration', UNIX_TIMESTAMP());
