-- 016_media.sql: the local uploads the worker's clean-up knows of (lib/social/mediaclean.h,
-- docs/media.md "Clean-up").
--
--   tb_media   the shard of the object key (shard_for_key(media_key), as its media.process
--              job): one row per upload stored locally since this file, written when the
--              upload is stored, marked when a post, reply or profile takes it, released when
--              its post is deleted, and deleted (after its files) by the sweep.
-- Uploads from before this file have no row: the sweep never touches them.

CREATE TABLE IF NOT EXISTS tb_media (
  media_key   varchar(80)      NOT NULL COMMENT 'images/YYYYMMDD/<nonce>-<mac>.<ext> or videos/...: at most MEDIA_KEY_MAX bytes, ASCII',
  state       tinyint unsigned NOT NULL DEFAULT 0 COMMENT '0 uploaded, 1 attached to record_id, 2 released (its record deleted), 3 being swept, 4 kept (a profile image)',
  record_id   bigint unsigned  NOT NULL DEFAULT 0 COMMENT 'the post or reply that took it (state 1 and 2)',
  created_at  bigint unsigned  NOT NULL DEFAULT 0,
  updated_at  bigint unsigned  NOT NULL DEFAULT 0 COMMENT 'the last change of state: the grace period counts from it',
  PRIMARY KEY (media_key),
  KEY idx_state (state, updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin
  COMMENT='rows on the shard of media_key';

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('016_media', UNIX_TIMESTAMP());
