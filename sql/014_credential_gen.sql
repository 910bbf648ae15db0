-- 014_credential_gen.sql: a credential generation per account (lib/social/auth.c, docs/auth.md).
--
--   tb_user.credential_gen   every shard: bumped by the statement that changes the password
--                            (change or reset); a login token carries the generation read with
--                            the hash it was checked against, and is refused once it differs
--
-- tokens_valid_after alone counts whole seconds against the token's iat: a login that read the
-- old hash before a password change committed signed its token after it, with an iat at or past
-- the change, and kept a working session for the token's whole life. A generation does not
-- depend on timing. The column is added only when missing, through information_schema (MySQL has
-- no ADD COLUMN IF NOT EXISTS), so running this file again changes nothing.

SET @ddl = IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'tb_user' AND column_name = 'credential_gen') = 0,
  'ALTER TABLE tb_user ADD COLUMN credential_gen int unsigned NOT NULL DEFAULT 0 COMMENT ''bumped with every password change or reset; tokens carry it (gen) and die when it moves on'' AFTER tokens_valid_after',
  'DO 0');
PREPARE stmt FROM @ddl;
EXECUTE stmt;
DEALLOCATE PREPARE stmt;

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('014_credential_gen', UNIX_TIMESTAMP());
