-- 005_moderation.sql: reports of posts, replies and users.
--
-- A report lives with what it reports, so that it and the reported record's count_reported change
-- in one transaction, and a repeated report is a duplicate key (one report per reporter and
-- target):
--   tb_reported_content   the reported post's or reply's shard
--   tb_reported_user      the reported user's shard
-- The moderators' queue (status 0, oldest first) is read from every shard by the admin tool: an
-- internal, rare read, where visiting many shards is acceptable (the seed's rule allows it for
-- internal statistics).

CREATE TABLE IF NOT EXISTS tb_reported_content (
  id            bigint unsigned  NOT NULL COMMENT 'lib/base/id.c ID made on the reported record''s shard',
  content_type  tinyint unsigned NOT NULL DEFAULT 0 COMMENT '0 post, 1 reply',
  record_id     bigint unsigned  NOT NULL COMMENT 'the reported post or reply',
  post_user_id  bigint unsigned  NOT NULL COMMENT 'author of the record',
  reporter_id   bigint unsigned  NOT NULL,
  report_reason tinyint unsigned NOT NULL,
  status        tinyint unsigned NOT NULL DEFAULT 0 COMMENT '0 open, 1 dismissed, 2 acted upon',
  handled_by    bigint unsigned  NOT NULL DEFAULT 0 COMMENT 'moderator''s user id; 0: not handled',
  handled_at    bigint unsigned  NOT NULL DEFAULT 0,
  created_at    bigint unsigned  NOT NULL DEFAULT 0,
  updated_at    bigint unsigned  NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY uiq_record_reporter (record_id, reporter_id),
  KEY idx_status (status, id),
  KEY idx_post_user_id (post_user_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the reported record''s shard';

CREATE TABLE IF NOT EXISTS tb_reported_user (
  id            bigint unsigned  NOT NULL COMMENT 'lib/base/id.c ID made on the reported user''s shard',
  user_id       bigint unsigned  NOT NULL COMMENT 'the reported user',
  reporter_id   bigint unsigned  NOT NULL,
  report_reason tinyint unsigned NOT NULL,
  status        tinyint unsigned NOT NULL DEFAULT 0 COMMENT '0 open, 1 dismissed, 2 acted upon',
  handled_by    bigint unsigned  NOT NULL DEFAULT 0 COMMENT 'moderator''s user id; 0: not handled',
  handled_at    bigint unsigned  NOT NULL DEFAULT 0,
  created_at    bigint unsigned  NOT NULL DEFAULT 0,
  updated_at    bigint unsigned  NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY uiq_user_reporter (user_id, reporter_id),
  KEY idx_status (status, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the reported user''s shard';

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('005_moderation', UNIX_TIMESTAMP());
