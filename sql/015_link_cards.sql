-- 015_link_cards.sql: what the link cards need of tb_parsed_url (lib/social/linkcard.c, docs/links.md).
--
--   tb_parsed_url.image_url     shard 0 (the table's rows live there only; the column is added
--                               on every shard, as the table is): the page's og:image, an
--                               https URL or ''
--   tb_parsed_url.fetch_status  what the one fetch of the URL came to (lib/ext/linkfetch.h):
--                               0 read, 1 refused, 2 failed, 3 not text/html; a row of any
--                               status means "fetched": the worker never fetches it again
--   tb_parsed_url.fetch_error   why, for an operator: a short reason, never the page or the URL
--
-- Each column is added only when missing, through information_schema (MySQL has no ADD COLUMN
-- IF NOT EXISTS), so running this file again changes nothing.

SET @ddl = IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'tb_parsed_url' AND column_name = 'image_url') = 0,
  'ALTER TABLE tb_parsed_url ADD COLUMN image_url varchar(2048) NOT NULL DEFAULT '''' COMMENT ''og:image: an https URL or empty'' AFTER description',
  'DO 0');
PREPARE stmt FROM @ddl;
EXECUTE stmt;
DEALLOCATE PREPARE stmt;

SET @ddl = IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'tb_parsed_url' AND column_name = 'fetch_status') = 0,
  'ALTER TABLE tb_parsed_url ADD COLUMN fetch_status tinyint unsigned NOT NULL DEFAULT 0 COMMENT ''0 read, 1 refused, 2 failed, 3 not text/html (lib/ext/linkfetch.h)'' AFTER image_url',
  'DO 0');
PREPARE stmt FROM @ddl;
EXECUTE stmt;
DEALLOCATE PREPARE stmt;

SET @ddl = IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'tb_parsed_url' AND column_name = 'fetch_error') = 0,
  'ALTER TABLE tb_parsed_url ADD COLUMN fetch_error varchar(128) NOT NULL DEFAULT '''' COMMENT ''why a fetch did not read a page (no URL, no body)'' AFTER fetch_status',
  'DO 0');
PREPARE stmt FROM @ddl;
EXECUTE stmt;
DEALLOCATE PREPARE stmt;

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('015_link_cards', UNIX_TIMESTAMP());
