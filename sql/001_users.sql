-- 001_users.sql: accounts: the user row, its counters, password resets, the username and email
-- lookups that keep both unique across all shards, reserved usernames, revoked tokens.
--
-- Applied to every shard database (docs/schema.md says which shard holds which rows):
--   tb_user, tb_user_extended, tb_user_reset, tb_revoked_token   the user's shard (id_shard(user id))
--   tb_username_lookup, tb_email_lookup                          shard_for_key(lowercased key)
--   tb_reserved_username                                         shard 0 only
-- IDs are made by lib/base/id.c (never AUTO_INCREMENT: it cannot be unique across shards). Times are
-- unix seconds. Secrets (password, activation and reset codes) are stored only as hashes.

CREATE TABLE IF NOT EXISTS tb_user (
  id                   bigint unsigned  NOT NULL COMMENT 'lib/base/id.c ID; its shard is where every row of this user lives',
  username             varchar(32)      NOT NULL COMMENT 'as the user typed it (display case); unique through tb_username_lookup',
  email                varchar(255)     NOT NULL DEFAULT '' COMMENT 'as typed; unique through tb_email_lookup',
  password_hash        varchar(255)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'self-describing hash, e.g. pbkdf2-sha256$iterations$salt$hash',
  display_name         varchar(64)      NOT NULL DEFAULT '',
  banner_url           varchar(255)     NOT NULL DEFAULT '',
  avatar_url           varchar(255)     NOT NULL DEFAULT '',
  phone                varchar(32)      NOT NULL DEFAULT '',
  description          varchar(500)     NOT NULL DEFAULT '' COMMENT 'profile bio',
  website              varchar(255)     NOT NULL DEFAULT '',
  language             varchar(8)       NOT NULL DEFAULT '' COMMENT 'en or zh; empty: negotiate per request',
  time_zone            varchar(64)      NOT NULL DEFAULT '' COMMENT 'IANA name, e.g. Asia/Shanghai',
  location             varchar(64)      NOT NULL DEFAULT '',
  verified             tinyint unsigned NOT NULL DEFAULT 0,
  suspended            tinyint unsigned NOT NULL DEFAULT 0,
  dob_day              tinyint unsigned NOT NULL DEFAULT 0 COMMENT '0: not given',
  is_visible_dob_day   tinyint unsigned NOT NULL DEFAULT 0,
  dob_month            tinyint unsigned NOT NULL DEFAULT 0 COMMENT '0: not given',
  is_visible_dob_month tinyint unsigned NOT NULL DEFAULT 0,
  dob_year             smallint unsigned NOT NULL DEFAULT 0 COMMENT '0: not given',
  is_visible_dob_year  tinyint unsigned NOT NULL DEFAULT 0,
  activate_code_hash   char(64)         CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' COMMENT 'hex HMAC-SHA-256 of the emailed code; empty once used',
  activate_expires_at  bigint unsigned  NOT NULL DEFAULT 0 COMMENT 'the activation code is refused after this',
  is_activated         tinyint unsigned NOT NULL DEFAULT 0,
  tokens_valid_after   bigint unsigned  NOT NULL DEFAULT 0 COMMENT 'tokens issued (iat) before this are refused: logout everywhere, password change',
  created_at           bigint unsigned  NOT NULL DEFAULT 0,
  updated_at           bigint unsigned  NOT NULL DEFAULT 0,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the user''s shard';

-- Counters and often-written fields, apart from tb_user so that the profile row stays cached
-- (the seed's split). Written in the same transaction as the row a counter counts, when that row
-- is on the same shard.
CREATE TABLE IF NOT EXISTS tb_user_extended (
  user_id             bigint unsigned NOT NULL,
  count_followers     int unsigned    NOT NULL DEFAULT 0 COMMENT 'rows of tb_user_relationship_reversed for this user (same shard)',
  count_followings    int unsigned    NOT NULL DEFAULT 0 COMMENT 'rows of tb_user_relationship with status_follow 1 (same shard)',
  count_posts         int unsigned    NOT NULL DEFAULT 0,
  count_likes         int unsigned    NOT NULL DEFAULT 0 COMMENT 'likes this user gave (tb_post_like, same shard)',
  pinned_post_id      bigint unsigned NOT NULL DEFAULT 0 COMMENT '0: none',
  last_login          bigint unsigned NOT NULL DEFAULT 0,
  timeline_updated_at bigint unsigned NOT NULL DEFAULT 0,
  created_at          bigint unsigned NOT NULL DEFAULT 0,
  updated_at          bigint unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the user''s shard';

-- One row per reset code sent. The user is found first through tb_email_lookup, so the codes of
-- a user are one index range on the user's shard.
CREATE TABLE IF NOT EXISTS tb_user_reset (
  id              bigint unsigned  NOT NULL COMMENT 'lib/base/id.c ID made on the user''s shard',
  user_id         bigint unsigned  NOT NULL,
  email           varchar(255)     NOT NULL COMMENT 'the address the code was sent to',
  reset_code_hash char(64)         CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'hex HMAC-SHA-256 of the code, never the code',
  attempts        tinyint unsigned NOT NULL DEFAULT 0 COMMENT 'wrong guesses; the code is dead after a few',
  expires_at      bigint unsigned  NOT NULL DEFAULT 0,
  used_at         bigint unsigned  NOT NULL DEFAULT 0 COMMENT '0: not used yet',
  created_at      bigint unsigned  NOT NULL DEFAULT 0,
  updated_at      bigint unsigned  NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY idx_user_id (user_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the user''s shard';

-- Uniqueness of usernames and emails across shards: a name is taken by inserting its lowercased
-- form here, on shard_for_key(lowercased name); a duplicate key means it is taken. The key
-- column is binary (utf8mb4_bin) because the shard is a hash of its exact bytes: the database
-- must compare exactly what the hash saw.
CREATE TABLE IF NOT EXISTS tb_username_lookup (
  username_key varchar(32)     CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL COMMENT 'lowercased username',
  user_id      bigint unsigned NOT NULL,
  created_at   bigint unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (username_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on shard_for_key(username_key)';

CREATE TABLE IF NOT EXISTS tb_email_lookup (
  email_key  varchar(255)    CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL COMMENT 'lowercased email',
  user_id    bigint unsigned NOT NULL,
  created_at bigint unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (email_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on shard_for_key(email_key)';

-- Names nobody may take (admin, help, api, ...). Small and global: shard 0 only.
CREATE TABLE IF NOT EXISTS tb_reserved_username (
  reserved_username varchar(32)     CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL COMMENT 'lowercased, as in tb_username_lookup',
  notes             varchar(1000)   NOT NULL DEFAULT '',
  created_by        bigint unsigned NOT NULL DEFAULT 0 COMMENT 'user id of the admin; 0: installed',
  created_at        bigint unsigned NOT NULL DEFAULT 0,
  updated_at        bigint unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (reserved_username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on shard 0 only';

-- Tokens revoked one by one (logout of one session). A row is useless once the token has
-- expired anyway, so a job deletes rows past expires_at. Logging out everywhere is
-- tb_user.tokens_valid_after instead.
CREATE TABLE IF NOT EXISTS tb_revoked_token (
  user_id    bigint unsigned NOT NULL COMMENT 'the token''s subject',
  jti        varchar(64)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'the token''s jti claim',
  expires_at bigint unsigned NOT NULL COMMENT 'the token''s exp claim',
  created_at bigint unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, jti),
  KEY idx_expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the user''s shard';

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('001_users', UNIX_TIMESTAMP());
