-- 006_notifications.sql: what happened to a user (likes, replies, reposts, quotes, follows).
--
-- Rows live on the recipient's shard (the notification ID is made there), so a user's list and
-- unread count are one index range each. They are written by jobs (tb_job) queued in the
-- transaction of the action; the unique key makes a retried job, or a like / unlike / like
-- again, notify once.
-- Old rows are deleted by ID range (IDs are time-ordered: id < id_compose(cutoff, 0, 0, 0)), so
-- no index on created_at is needed.

CREATE TABLE IF NOT EXISTS tb_notification (
  id         bigint unsigned  NOT NULL COMMENT 'lib/base/id.c ID made on the recipient''s shard',
  user_id    bigint unsigned  NOT NULL COMMENT 'recipient',
  type       tinyint unsigned NOT NULL COMMENT '1 like, 2 reply, 3 repost, 4 quote, 5 follow, 6 mention',
  actor_id   bigint unsigned  NOT NULL COMMENT 'the user who acted',
  post_id    bigint unsigned  NOT NULL DEFAULT 0 COMMENT 'the recipient''s post or reply concerned; 0 for a follow',
  record_id  bigint unsigned  NOT NULL DEFAULT 0 COMMENT 'what the actor made: the reply or quote; the reposted original for a repost; the liked record for a like; 0 for a follow',
  is_read    tinyint unsigned NOT NULL DEFAULT 0 COMMENT 'bits: 1 read, 2 withdrawn (a like taken back: shown nowhere, kept to come back as it was)',
  created_at bigint unsigned  NOT NULL DEFAULT 0,
  updated_at bigint unsigned  NOT NULL DEFAULT 0 COMMENT 'when it was read',
  PRIMARY KEY (id),
  UNIQUE KEY uiq_event (user_id, type, actor_id, record_id),
  KEY idx_user_id (user_id, id),
  KEY idx_user_unread (user_id, is_read, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the recipient''s shard';

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('006_notifications', UNIX_TIMESTAMP());
