-- 011_id_lease_handover.sql: a worker number handed on at once (lib/store/idlease.c).
--
--   tb_id_worker_lease.last_id_ms   shard 0 only: the time of the last ID made under the number,
--                                   written when its holder gives it back
--
-- Before, a number given back stayed held until the second after its last ID, so that the next
-- holder could not make that ID again; a plain CGI site, which leases a number per request, ran
-- out of the 256 numbers under a burst. Now the number is free at once and its next holder makes
-- IDs only after last_id_ms. The column is added only when missing, through information_schema
-- (MySQL has no ADD COLUMN IF NOT EXISTS), so running this file again changes nothing.

SET @ddl = IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'tb_id_worker_lease' AND column_name = 'last_id_ms') = 0,
  'ALTER TABLE tb_id_worker_lease ADD COLUMN last_id_ms bigint unsigned NOT NULL DEFAULT 0 COMMENT ''Unix ms of the last ID made under the number, set when it is given back: the next holder''''s IDs come after it'' AFTER expires_at',
  'DO 0');
PREPARE stmt FROM @ddl;
EXECUTE stmt;
DEALLOCATE PREPARE stmt;

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('011_id_lease_handover', UNIX_TIMESTAMP());
