-- 017_post_media.sql: the images of a post or reply, with their alt text (lib/social/post.c writes,
-- lib/social/postview.c reads; docs/media.md "Several images").
--
--   tb_post.media_json         the record's shard, like the row: a JSON array of 1 .. 4 images,
--   tb_post_reply.media_json   [{"url": the mediaUrl as posted, "alt": the alt text, 0 .. 1000
--                              characters}], in the order posted; NULL for a record without
--                              images, and for every record written before this file
--
-- image_url stays as it was and holds the first image, so older readers (and a record posted
-- before this file, whose one image is image_url alone) go on working: lib/social/postview.c reads an
-- absent media_json as [{"url": image_url, "alt": ""}]. Nothing needs to be copied.
--
-- A JSON column rather than a table tb_post_media: the images are read with the row, in the
-- same statement post_row already runs (one round trip, and the cached post object holds them),
-- and never queried by themselves (the clean-up's index of uploads is tb_media). text NULL, not
-- NOT NULL DEFAULT '': MySQL 8 takes no literal default on a text column, and 4 images with
-- 1,000 characters of alt text each (4 bytes a character at worst, JSON escapes) stay under
-- its 65,535 bytes.
--
-- Each column is added only when missing (through information_schema: MySQL has no ADD COLUMN
-- IF NOT EXISTS), so running this file again changes nothing.

SET @ddl = IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'tb_post' AND column_name = 'media_json') = 0,
  'ALTER TABLE tb_post ADD COLUMN media_json text NULL COMMENT ''[{url, alt}]: 1 .. 4 images in order; NULL: none, or only image_url (older rows)'' AFTER video_url',
  'DO 0');
PREPARE stmt FROM @ddl;
EXECUTE stmt;
DEALLOCATE PREPARE stmt;

SET @ddl = IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'tb_post_reply' AND column_name = 'media_json') = 0,
  'ALTER TABLE tb_post_reply ADD COLUMN media_json text NULL COMMENT ''as tb_post.media_json'' AFTER video_url',
  'DO 0');
PREPARE stmt FROM @ddl;
EXECUTE stmt;
DEALLOCATE PREPARE stmt;

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('017_post_media', UNIX_TIMESTAMP());
