-- 009_post_reposts.sql: the reposts and quotes of a record, on the record's shard.
--
-- A repost or quote is a tb_post row on the reposter's shard; the count of the original
-- (count_reposts, count_quote in tb_post_extended or tb_post_reply_extended) is on the original's
-- shard. A job (repost.sync, lib/social/job.c) mirrors each live repost or quote here and moves the
-- count in the same transaction, only when a row was inserted or deleted: so the counts are
-- exact, a job run twice changes nothing, and a count can be recomputed on this one shard
-- (SELECT post_type, COUNT(*) ... WHERE original_id = ? GROUP BY post_type).
--   tb_post_repost_reversed   the shard of original_id (id_shard(original_id))

CREATE TABLE IF NOT EXISTS tb_post_repost_reversed (
  original_id bigint unsigned  NOT NULL COMMENT 'the reposted or quoted post or reply',
  post_id     bigint unsigned  NOT NULL COMMENT 'the repost or quote (tb_post.id, on the reposter''s shard): newest-first cursor',
  user_id     bigint unsigned  NOT NULL COMMENT 'who reposted or quoted',
  post_type   tinyint unsigned NOT NULL COMMENT '1 repost, 2 quote (as tb_post.post_type)',
  created_at  bigint unsigned  NOT NULL DEFAULT 0,
  PRIMARY KEY (original_id, post_id),
  KEY idx_original_type (original_id, post_type, post_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the original record''s shard';

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('009_post_reposts', UNIX_TIMESTAMP());
