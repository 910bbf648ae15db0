-- 018_moderation.sql: moderators' roles, suspensions with an end and a reason, the audit log
-- (lib/social/mod.h, docs/moderation.md).
--
--   tb_user_role                  the user's shard: one row per role held (1 moderator,
--                                 2 administrator), granted and revoked by starling-admin role
--   tb_user.suspended_until       every shard: when the suspension ends (0: until lifted);
--   tb_user.suspension_reason     what the user is told at login; both beside `suspended`
--                                 (001), which stays the flag every check reads
--   tb_moderation_log             the shard of the action's target user: one row per moderation
--                                 action (who, when, what, on whom, why), never updated
-- The columns are added only when missing, through information_schema (MySQL has no ADD COLUMN
-- IF NOT EXISTS), so running this file again changes nothing.

CREATE TABLE IF NOT EXISTS tb_user_role (
  user_id     bigint unsigned  NOT NULL,
  role        tinyint unsigned NOT NULL COMMENT '1 moderator, 2 administrator',
  granted_by  varchar(64)      NOT NULL DEFAULT '' COMMENT 'who ran starling-admin role grant (user@host)',
  created_at  bigint unsigned  NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, role)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the user''s shard';

CREATE TABLE IF NOT EXISTS tb_moderation_log (
  id              bigint unsigned  NOT NULL COMMENT 'lib/base/id.c ID made on this shard',
  actor_id        bigint unsigned  NOT NULL COMMENT 'the moderator or administrator',
  action          varchar(16)      CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'dismiss, delete_post, suspend, lift',
  target_user_id  bigint unsigned  NOT NULL COMMENT 'the account acted on (a post: its author)',
  record_id       bigint unsigned  NOT NULL DEFAULT 0 COMMENT 'the post or reply acted on; 0: an account',
  until_at        bigint unsigned  NOT NULL DEFAULT 0 COMMENT 'suspend: its end; 0: until lifted',
  reason          varchar(500)     NOT NULL DEFAULT '',
  created_at      bigint unsigned  NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY idx_target (target_user_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the target user''s shard';

SET @ddl = IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'tb_user' AND column_name = 'suspended_until') = 0,
  'ALTER TABLE tb_user ADD COLUMN suspended_until bigint unsigned NOT NULL DEFAULT 0 COMMENT ''the suspension ends then; 0: until lifted'' AFTER suspended, ADD COLUMN suspension_reason varchar(500) NOT NULL DEFAULT '''' COMMENT ''what the user is told'' AFTER suspended_until',
  'DO 0');
PREPARE stmt FROM @ddl;
EXECUTE stmt;
DEALLOCATE PREPARE stmt;

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('018_moderation', UNIX_TIMESTAMP());
