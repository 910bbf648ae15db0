-- 002_posts.sql: posts, reposts and quotes, replies, likes, their counters, parsed link previews.
--
-- Which shard holds the rows (docs/schema.md has the reasons):
--   tb_post, tb_post_extended                the author's shard (the post ID carries it)
--   tb_post_reply, tb_post_reply_extended    the shard of the post replied to: a reply ID is made
--                                            with id_shard(post_id), so a whole thread and its
--                                            count_comments are on one shard
--   tb_user_reply                            the replier's shard (the user's "replies" tab)
--   tb_post_like                             the liker's shard (source of truth, "likes" tab)
--   tb_post_like_reversed                    the liked record's shard (who liked it, count_likes)
--   tb_parsed_url                            shard 0 only
-- Counters change in the same transaction as the rows they count on that shard; a job can
-- recount them from those rows.

CREATE TABLE IF NOT EXISTS tb_post (
  id             bigint unsigned  NOT NULL COMMENT 'lib/base/id.c ID made on the author''s shard',
  user_id        bigint unsigned  NOT NULL COMMENT 'author',
  post_type      tinyint unsigned NOT NULL DEFAULT 0 COMMENT '0 original, 1 repost, 2 quote (repost with text); replies are tb_post_reply, not type 3',
  original_type  tinyint unsigned NOT NULL DEFAULT 0 COMMENT 'what original_id names: 0 post, 1 reply',
  original_id    bigint unsigned  NOT NULL DEFAULT 0 COMMENT 'the reposted or quoted record; 0 for an original',
  content_text   varchar(300)     NOT NULL DEFAULT '' COMMENT 'at most 280 characters (checked by the application)',
  search_text    varchar(1500)    NOT NULL DEFAULT '' COMMENT 'content_text tokenised for FULLTEXT (CJK as bigrams, docs/schema.md); empty when deleted',
  image_url      varchar(255)     NOT NULL DEFAULT '',
  video_url      varchar(255)     NOT NULL DEFAULT '',
  hashtags       varchar(300)     NOT NULL DEFAULT '' COMMENT 'the tags in content_text, lowercased, space-separated (tb_post_reply_hashtag indexes them)',
  location       varchar(64)      NOT NULL DEFAULT '',
  place          varchar(64)      NOT NULL DEFAULT '',
  source         tinyint unsigned NOT NULL DEFAULT 0 COMMENT 'client that posted: 0 web, others as the application defines',
  reply_settings tinyint unsigned NOT NULL DEFAULT 0 COMMENT 'who may reply: 0 everyone, 1 mentioned users, 2 followers',
  is_deleted     tinyint unsigned NOT NULL DEFAULT 0,
  created_at     bigint unsigned  NOT NULL DEFAULT 0,
  updated_at     bigint unsigned  NOT NULL DEFAULT 0,
  deleted_at     bigint unsigned  NOT NULL DEFAULT 0,
  repost_of      bigint unsigned  GENERATED ALWAYS AS (IF(post_type = 1 AND is_deleted = 0, original_id, NULL)) STORED
                 COMMENT 'original_id of a live repost, else NULL: one live repost per user and record',
  PRIMARY KEY (id),
  KEY idx_user_id (user_id, id),
  UNIQUE KEY uiq_user_repost (user_id, repost_of),
  FULLTEXT KEY ft_search_text (search_text)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the author''s shard';

-- The often-changing counters of a post, apart from the cached, rarely-changing tb_post (the
-- seed's split: the page shows the post first, then fetches its counts).
CREATE TABLE IF NOT EXISTS tb_post_extended (
  post_id        bigint unsigned  NOT NULL,
  user_id        bigint unsigned  NOT NULL COMMENT 'author',
  count_comments int unsigned     NOT NULL DEFAULT 0 COMMENT 'tb_post_reply rows of this post (same shard)',
  count_likes    int unsigned     NOT NULL DEFAULT 0 COMMENT 'tb_post_like_reversed rows of this post (same shard)',
  count_reposts  int unsigned     NOT NULL DEFAULT 0 COMMENT 'reposts live on the reposters'' shards: kept by jobs, not recountable locally',
  count_quote    int unsigned     NOT NULL DEFAULT 0 COMMENT 'as count_reposts, for quotes',
  count_shares   int unsigned     NOT NULL DEFAULT 0,
  count_reported int unsigned     NOT NULL DEFAULT 0 COMMENT 'tb_reported_content rows of this post (same shard)',
  is_deleted     tinyint unsigned NOT NULL DEFAULT 0 COMMENT 'copy of tb_post.is_deleted, written in the same transaction',
  created_at     bigint unsigned  NOT NULL DEFAULT 0,
  updated_at     bigint unsigned  NOT NULL DEFAULT 0,
  deleted_at     bigint unsigned  NOT NULL DEFAULT 0,
  PRIMARY KEY (post_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the post''s shard';

CREATE TABLE IF NOT EXISTS tb_post_reply (
  id              bigint unsigned  NOT NULL COMMENT 'lib/base/id.c ID made on the shard of post_id',
  user_id         bigint unsigned  NOT NULL COMMENT 'author of the reply',
  post_id         bigint unsigned  NOT NULL COMMENT 'the post at the root of the thread',
  parent_reply_id bigint unsigned  NOT NULL DEFAULT 0 COMMENT 'the reply answered; 0: the post itself',
  content_text    varchar(300)     NOT NULL DEFAULT '' COMMENT 'at most 280 characters (checked by the application)',
  image_url       varchar(255)     NOT NULL DEFAULT '',
  video_url       varchar(255)     NOT NULL DEFAULT '',
  hashtags        varchar(300)     NOT NULL DEFAULT '' COMMENT 'as tb_post.hashtags',
  location        varchar(64)      NOT NULL DEFAULT '',
  place           varchar(64)      NOT NULL DEFAULT '',
  source          tinyint unsigned NOT NULL DEFAULT 0 COMMENT 'as tb_post.source',
  is_deleted      tinyint unsigned NOT NULL DEFAULT 0,
  created_at      bigint unsigned  NOT NULL DEFAULT 0,
  updated_at      bigint unsigned  NOT NULL DEFAULT 0,
  deleted_at      bigint unsigned  NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY idx_post_id (post_id, id),
  KEY idx_post_parent (post_id, parent_reply_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the shard of post_id (the thread''s shard)';

CREATE TABLE IF NOT EXISTS tb_post_reply_extended (
  post_reply_id  bigint unsigned  NOT NULL,
  user_id        bigint unsigned  NOT NULL COMMENT 'author of the reply',
  post_id        bigint unsigned  NOT NULL,
  count_comments int unsigned     NOT NULL DEFAULT 0 COMMENT 'replies whose parent_reply_id is this reply (same shard)',
  count_likes    int unsigned     NOT NULL DEFAULT 0 COMMENT 'tb_post_like_reversed rows of this reply (same shard)',
  count_reposts  int unsigned     NOT NULL DEFAULT 0,
  count_quote    int unsigned     NOT NULL DEFAULT 0,
  count_shares   int unsigned     NOT NULL DEFAULT 0,
  count_reported int unsigned     NOT NULL DEFAULT 0,
  is_deleted     tinyint unsigned NOT NULL DEFAULT 0 COMMENT 'copy of tb_post_reply.is_deleted',
  created_at     bigint unsigned  NOT NULL DEFAULT 0,
  updated_at     bigint unsigned  NOT NULL DEFAULT 0,
  deleted_at     bigint unsigned  NOT NULL DEFAULT 0,
  PRIMARY KEY (post_reply_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the reply''s shard';

-- A user's replies, on the user's shard: the profile's "replies" tab is one range read here,
-- then the replies by ID (they are spread over the threads' shards; cache-aside multi-get).
CREATE TABLE IF NOT EXISTS tb_user_reply (
  user_id    bigint unsigned NOT NULL COMMENT 'author of the reply',
  reply_id   bigint unsigned NOT NULL,
  post_id    bigint unsigned NOT NULL COMMENT 'the thread''s root post',
  created_at bigint unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, reply_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the replier''s shard';

-- A row means "liked": like is INSERT IGNORE, unlike is DELETE, and the affected-row count says
-- whether anything changed (so the counter moves exactly once, and a retry is harmless).
CREATE TABLE IF NOT EXISTS tb_post_like (
  id           bigint unsigned  NOT NULL COMMENT 'lib/base/id.c ID made at like time on the liker''s shard: the "likes" tab cursor',
  content_type tinyint unsigned NOT NULL DEFAULT 0 COMMENT '0 post, 1 reply',
  record_id    bigint unsigned  NOT NULL COMMENT 'the liked post or reply',
  liker_id     bigint unsigned  NOT NULL,
  created_at   bigint unsigned  NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY uiq_liker_record (liker_id, record_id),
  KEY idx_liker_id (liker_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the liker''s shard';

-- The other half of a like, on the liked record's shard, written with count_likes in one
-- transaction (INSERT IGNORE; count + 1 only when a row was inserted): who liked a record, and
-- a count that can be recomputed on one shard.
CREATE TABLE IF NOT EXISTS tb_post_like_reversed (
  record_id    bigint unsigned  NOT NULL COMMENT 'the liked post or reply',
  liker_id     bigint unsigned  NOT NULL,
  content_type tinyint unsigned NOT NULL DEFAULT 0 COMMENT '0 post, 1 reply',
  like_id      bigint unsigned  NOT NULL COMMENT 'tb_post_like.id: newest-first cursor',
  created_at   bigint unsigned  NOT NULL DEFAULT 0,
  PRIMARY KEY (record_id, liker_id),
  KEY idx_record_like (record_id, like_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the liked record''s shard';

-- Link previews, fetched once per URL. Small and global: shard 0 only. URLs can be long, so the
-- unique key is on a hash of the URL, not on the URL.
CREATE TABLE IF NOT EXISTS tb_parsed_url (
  id          bigint unsigned NOT NULL COMMENT 'lib/base/id.c ID made on shard 0',
  url         varchar(2048)   NOT NULL,
  url_hash    char(64)        CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'hex SHA-256 of url, byte for byte',
  title       varchar(512)    NOT NULL DEFAULT '',
  description varchar(1024)   NOT NULL DEFAULT '',
  created_at  bigint unsigned NOT NULL DEFAULT 0,
  updated_at  bigint unsigned NOT NULL DEFAULT 0 COMMENT 'last fetch',
  PRIMARY KEY (id),
  UNIQUE KEY uiq_url_hash (url_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on shard 0 only';

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('002_posts', UNIX_TIMESTAMP());
