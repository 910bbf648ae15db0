-- 004_hashtags.sql: hashtags, which posts and replies use them (hashtag pages and trends),
-- recommended hashtags.
--
-- A hashtag is found by its text, like a username: its rows live on shard_for_key(lowercased tag)
-- and its ID is made on that shard, so both the tag and the ID lead to the same database.
--   tb_hashtag, tb_post_reply_hashtag   the hashtag's shard
--   tb_recommended_hashtag              shard 0 only
-- tb_post_reply_hashtag is also the "hashtag use" log that trends are computed from (uses in the
-- last hours, by distinct users), so no separate table is needed.

CREATE TABLE IF NOT EXISTS tb_hashtag (
  id             bigint unsigned NOT NULL COMMENT 'lib/base/id.c ID made on shard_for_key(tag_key)',
  tag_key        varchar(128)    CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL COMMENT 'lowercased tag without #, hashed for the shard',
  tag_name       varchar(128)    NOT NULL COMMENT 'the tag as first written',
  user_id        bigint unsigned NOT NULL DEFAULT 0 COMMENT 'first user to use it',
  count_mentions int unsigned    NOT NULL DEFAULT 0 COMMENT 'tb_post_reply_hashtag rows of this tag (same shard)',
  created_at     bigint unsigned NOT NULL DEFAULT 0,
  updated_at     bigint unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY uiq_tag_key (tag_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on shard_for_key(tag_key)';

-- One row per (tag, post or reply). Inserted with INSERT IGNORE in one transaction with
-- tb_hashtag.count_mentions; deleted when the post or reply is (its hashtags column names them).
CREATE TABLE IF NOT EXISTS tb_post_reply_hashtag (
  hashtag_id   bigint unsigned  NOT NULL,
  record_id    bigint unsigned  NOT NULL COMMENT 'the post or reply using the tag: the hashtag page cursor (newest first)',
  content_type tinyint unsigned NOT NULL DEFAULT 0 COMMENT '0 post, 1 reply',
  user_id      bigint unsigned  NOT NULL COMMENT 'author of the record (trends count distinct users)',
  created_at   bigint unsigned  NOT NULL DEFAULT 0,
  PRIMARY KEY (hashtag_id, record_id),
  KEY idx_created_at (created_at, hashtag_id, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the hashtag''s shard';

-- Trending or staff-picked hashtags, written by the trends job or an admin. Small and global:
-- shard 0 only. tag_name is copied so the list renders without visiting the tags' shards.
CREATE TABLE IF NOT EXISTS tb_recommended_hashtag (
  hashtag_id bigint unsigned NOT NULL,
  tag_name   varchar(128)    NOT NULL DEFAULT '',
  sort_order int             NOT NULL DEFAULT 0 COMMENT 'the seed''s rank (a reserved word in MySQL 8): smaller first',
  created_at bigint unsigned NOT NULL DEFAULT 0,
  updated_at bigint unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (hashtag_id),
  KEY idx_sort_order (sort_order)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on shard 0 only';

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('004_hashtags', UNIX_TIMESTAMP());
