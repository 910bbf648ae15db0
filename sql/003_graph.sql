-- 003_graph.sql: the social graph (follow, block, mute) and recommended users.
--
-- A follow is stored twice, as the seed says, so that each list is one indexed query on one shard:
--   tb_user_relationship            the acting user's shard (user_id = follower/blocker/muter):
--                                   the source of truth for follow, block and mute; "who I
--                                   follow", "whom I blocked", "whom I muted"
--   tb_user_relationship_reversed   the followee's shard (user_id = followee): "who follows me";
--                                   only live follows (status_follow 1) have a row
--   tb_recommended_user             shard 0 only
-- Lists are newest first with an ID cursor: WHERE user_id = ? AND ... AND id < :cursor
-- ORDER BY id DESC LIMIT n.

CREATE TABLE IF NOT EXISTS tb_user_relationship (
  user_id       bigint unsigned  NOT NULL COMMENT 'the user who follows, blocks or mutes',
  target_user   bigint unsigned  NOT NULL,
  status_follow tinyint unsigned NOT NULL DEFAULT 0 COMMENT '0 none (unfollowed), 1 follow, 2 block',
  status_mute   tinyint unsigned NOT NULL DEFAULT 0 COMMENT '0 not muted, 1 muted',
  id            bigint unsigned  NOT NULL COMMENT 'lib/base/id.c ID, made again whenever status_follow changes: cursor of the following and blocked lists',
  mute_id       bigint unsigned  NOT NULL DEFAULT 0 COMMENT 'lib/base/id.c ID made when muted: cursor of the muted list',
  created_at    bigint unsigned  NOT NULL DEFAULT 0,
  updated_at    bigint unsigned  NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, target_user),
  KEY idx_user_follow (user_id, status_follow, id),
  KEY idx_user_mute (user_id, status_mute, mute_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the shard of user_id (the acting user)';

-- Written in one transaction with the followee's tb_user_extended.count_followers (INSERT IGNORE
-- on follow, DELETE on unfollow or block; the counter moves only when a row did), usually by a
-- job queued in the follower's transaction (tb_job), so a retry is harmless.
CREATE TABLE IF NOT EXISTS tb_user_relationship_reversed (
  user_id     bigint unsigned NOT NULL COMMENT 'the followee',
  follower_id bigint unsigned NOT NULL,
  id          bigint unsigned NOT NULL COMMENT 'tb_user_relationship.id of the follow: cursor of the followers list',
  created_at  bigint unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, follower_id),
  KEY idx_user_id (user_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the followee''s shard';

-- Popular users as chosen by staff or a job. Small and global: shard 0 only.
CREATE TABLE IF NOT EXISTS tb_recommended_user (
  user_id    bigint unsigned NOT NULL,
  sort_order int             NOT NULL DEFAULT 0 COMMENT 'the seed''s rank (a reserved word in MySQL 8): smaller first',
  created_at bigint unsigned NOT NULL DEFAULT 0,
  updated_at bigint unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id),
  KEY idx_sort_order (sort_order)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on shard 0 only';

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('003_graph', UNIX_TIMESTAMP());
