-- 008_reserved_usernames.sql: names nobody may sign up with: they would pass for the site, its
-- staff or its pages (/u/settings, "admin" writing to users). Read on shard 0 only (the file is
-- applied to every shard like the others; the rows elsewhere are unused). Lowercased, as
-- compared. Operators add their own with INSERT IGNORE on shard 0.
INSERT IGNORE INTO tb_reserved_username (reserved_username, notes, created_at, updated_at) VALUES
  ('admin', 'staff', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('administrator', 'staff', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('moderator', 'staff', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('root', 'staff', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('staff', 'staff', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('support', 'staff', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('security', 'staff', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('starling', 'the site', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('system', 'the site', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('noreply', 'the site', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('postmaster', 'the site', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('abuse', 'the site', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('about', 'a page', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('activate', 'a page', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('api', 'a page', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('explore', 'a page', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('help', 'a page', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('home', 'a page', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('login', 'a page', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('logout', 'a page', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('notifications', 'a page', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('reset', 'a page', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('search', 'a page', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('settings', 'a page', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('signup', 'a page', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('static', 'a page', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('null', 'confusing', UNIX_TIMESTAMP(), UNIX_TIMESTAMP()),
  ('undefined', 'confusing', UNIX_TIMESTAMP(), UNIX_TIMESTAMP());

INSERT IGNORE INTO tb_schema_migration (version, applied_at)
VALUES ('008_reserved_usernames', UNIX_TIMESTAMP());
