-- 010_trends.sql: what search and trends need (docs/search.md, lib/social/search.h, lib/social/trend.h).
--
--   tb_user.idx_display_name                     every shard: "people whose display name starts
--                                                with ..." is one index range per shard (usernames
--                                                are searched in tb_username_lookup's primary key)
--   tb_user_relationship_reversed.idx_created_at the followee's shard: the follows of the recent
--                                                window, per followee (popular users), covered
--   tb_trend_hashtag, tb_trend_user              shard 0 only: the last rankings trend_compute
--                                                stored, read (through the cache) by every request
--
-- Indexes are added only when missing, through information_schema (MySQL has no ADD INDEX IF NOT
-- EXISTS), so running this file again changes nothing.

SET @ddl = IF((SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE()
    AND table_name = 'tb_user' AND index_name = 'idx_display_name') = 0,
  'ALTER TABLE tb_user ADD INDEX idx_display_name (display_name)', 'DO 0');
PREPARE stmt FROM @ddl;
EXECUTE stmt;
DEALLOCATE PREPARE stmt;

SET @ddl = IF((SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE()
    AND table_name = 'tb_user_relationship_reversed' AND index_name = 'idx_created_at') = 0,
  'ALTER TABLE tb_user_relationship_reversed ADD INDEX idx_created_at (created_at, user_id)',
  'DO 0');
PREPARE stmt FROM @ddl;
EXECUTE stmt;
DEALLOCATE PREPARE stmt;

-- The trending hashtags of the last computation, best first. Replaced whole, in one transaction,
-- by each run of trend_compute; tag_key and tag_name are copied so the list renders without
-- visiting the tags' shards.
CREATE TABLE IF NOT EXISTS tb_trend_hashtag (
  position    smallint unsigned NOT NULL COMMENT '0 = the top trend',
  hashtag_id  bigint unsigned   NOT NULL,
  tag_key     varchar(128)      CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  tag_name    varchar(128)      NOT NULL DEFAULT '',
  uses        int unsigned      NOT NULL DEFAULT 0 COMMENT 'posts and replies with the tag in the recent window',
  users       int unsigned      NOT NULL DEFAULT 0 COMMENT 'distinct authors of those, recent window',
  prev_users  int unsigned      NOT NULL DEFAULT 0 COMMENT 'distinct authors in the window before',
  score       double            NOT NULL DEFAULT 0 COMMENT 'docs/search.md, "Trends"',
  computed_at bigint unsigned   NOT NULL DEFAULT 0,
  PRIMARY KEY (position)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on shard 0 only';

-- The users who gained the most followers in the recent window, most first; replaced whole too.
CREATE TABLE IF NOT EXISTS tb_trend_user (
  position      smallint unsigned NOT NULL COMMENT '0 = the most followed lately',
  user_id       bigint unsigned   NOT NULL,
  new_followers int unsigned      NOT NULL DEFAULT 0 COMMENT 'live follows made in the recent window',
  computed_at   bigint unsigned   NOT NULL DEFAULT 0,
  PRIMARY KEY (position)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on shard 0 only';

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('010_trends', UNIX_TIMESTAMP());
