-- 013_switches.sql: the operators' degradation switches (lib/store/switches.h, docs/operations.md).
--
--   tb_switch   shard 0 only (as tb_id_worker_lease): one truth that every process reads at most
--               every [switches] refresh_seconds. The table is made on every shard, like every
--               schema file's; only shard 0's is used.
--
-- A row per switch ever set (starling-admin switch set / clear); a switch without a row is off.
CREATE TABLE IF NOT EXISTS tb_switch (
  name       varchar(32)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'fanout_hold, read_only, anon_shed, ... (lib/store/switches.c)',
  value      int             NOT NULL DEFAULT 0 COMMENT '0 off; 1 on; anon_shed and media_quality 0 .. 100',
  reason     varchar(255)    NOT NULL DEFAULT '' COMMENT 'why, as the operator wrote it (logged with each change)',
  set_by     varchar(128)    NOT NULL DEFAULT '' COMMENT 'user@host of the starling-admin that wrote it',
  updated_at bigint unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on shard 0 only';

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('013_switches', UNIX_TIMESTAMP());
