-- 019_bookmarks.sql: bookmarks (lib/social/bookmark.h), and the content warning and sensitive-media flag
-- of posts and replies (lib/social/post.h, docs/api.md "Content warnings").
--
--   tb_bookmark   the bookmarking user's shard (id_shard(user_id)): a user's list is one index
--                 range there, and nobody else ever reads it (bookmarks are private)
-- The columns are added with ADD COLUMN IF NOT EXISTS (MariaDB 10.0.2+) so that running this
-- file twice, as every migrate may, changes nothing.

-- A row means "bookmarked": add is INSERT IGNORE (the unique key makes a second add a no-op),
-- remove is DELETE. The row is kept when its record is deleted: every read filters it out
-- (post_view_many drops what is gone or hidden by a block), as tb_post_like does.
CREATE TABLE IF NOT EXISTS tb_bookmark (
  id         bigint unsigned NOT NULL COMMENT 'lib/base/id.c ID made at bookmark time on the user''s shard: the newest-first cursor',
  user_id    bigint unsigned NOT NULL COMMENT 'who bookmarked',
  record_id  bigint unsigned NOT NULL COMMENT 'the post or reply (a repost stands for its original)',
  created_at bigint unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY uiq_user_record (user_id, record_id),
  KEY idx_user_id (user_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the bookmarking user''s shard';

-- The warning shown in place of a record's text and media until the reader opens it: at most
-- 100 characters (checked by the application, counted as content_text is), '' for none.
ALTER TABLE tb_post
  ADD COLUMN IF NOT EXISTS content_warning varchar(400) NOT NULL DEFAULT ''
    COMMENT 'at most 100 characters; empty: none',
  ADD COLUMN IF NOT EXISTS is_sensitive tinyint unsigned NOT NULL DEFAULT 0
    COMMENT '1: the media is blurred until revealed';
ALTER TABLE tb_post_reply
  ADD COLUMN IF NOT EXISTS content_warning varchar(400) NOT NULL DEFAULT ''
    COMMENT 'as tb_post.content_warning',
  ADD COLUMN IF NOT EXISTS is_sensitive tinyint unsigned NOT NULL DEFAULT 0
    COMMENT 'as tb_post.is_sensitive';

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('019_bookmarks', UNIX_TIMESTAMP());
