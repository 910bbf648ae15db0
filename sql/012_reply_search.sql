-- 012_reply_search.sql: replies are searched as posts are (docs/search.md, lib/social/search.h).
--
--   tb_post_reply.search_text     the thread's shard: content_text tokenised for FULLTEXT, as
--                                 tb_post.search_text (written by post_reply, emptied when the
--                                 reply is deleted)
--   tb_post_reply.ft_search_text  its FULLTEXT index, which search/posts queries next to
--                                 tb_post's
--
-- SQL cannot make the search form (CJK bigrams, case folding: lib/social/text.c), so replies written
-- before this file keep search_text '' and are not found until `starling-admin reindex-replies`
-- fills them (docs/admin.md). The column and the index are added only when missing, through
-- information_schema (MySQL has no ADD COLUMN IF NOT EXISTS), so running this file again changes
-- nothing. The column comes first: the index needs it.

SET @ddl = IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'tb_post_reply' AND column_name = 'search_text') = 0,
  'ALTER TABLE tb_post_reply ADD COLUMN search_text varchar(1500) NOT NULL DEFAULT '''' COMMENT ''content_text tokenised for FULLTEXT (CJK as bigrams, docs/schema.md); empty when deleted'' AFTER content_text',
  'DO 0');
PREPARE stmt FROM @ddl;
EXECUTE stmt;
DEALLOCATE PREPARE stmt;

SET @ddl = IF((SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE()
    AND table_name = 'tb_post_reply' AND index_name = 'ft_search_text') = 0,
  'ALTER TABLE tb_post_reply ADD FULLTEXT KEY ft_search_text (search_text)', 'DO 0');
PREPARE stmt FROM @ddl;
EXECUTE stmt;
DEALLOCATE PREPARE stmt;

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('012_reply_search', UNIX_TIMESTAMP());
