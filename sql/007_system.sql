-- 007_system.sql: machinery: idempotency keys, the background job queue, ID worker leases.
--
--   tb_idempotency_key   the user's shard (the same shard as the post it made, so the key and the
--                        post are written in one transaction)
--   tb_job               any shard: a job is queued on the shard whose transaction asks for it
--                        (an outbox: the job commits or rolls back with the change that needs it)
--   tb_id_worker_lease   shard 0 only: worker numbers must be unique across every process

-- A client may send an Idempotency-Key with a POST that creates something; the same key again
-- answers with what the first request made. Rows are kept at least 24 hours, then a job deletes
-- them by created_at.
CREATE TABLE IF NOT EXISTS tb_idempotency_key (
  user_id      bigint unsigned NOT NULL,
  idem_key     varchar(64)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'the client''s key, exact bytes',
  request_hash char(64)        CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' COMMENT 'hex SHA-256 of method, path and body: the same key with another request is refused',
  result_id    bigint unsigned NOT NULL DEFAULT 0 COMMENT 'ID of what the first request created (post, reply, ...)',
  created_at   bigint unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, idem_key),
  KEY idx_created_at (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the user''s shard';

-- Work done after the request: the other shard's half of a follow or like, notifications,
-- counters, cache refills, emails. Workers take jobs with
--   SELECT ... FROM tb_job WHERE state = 0 AND run_after <= :now ORDER BY run_after
--   LIMIT n FOR UPDATE SKIP LOCKED
-- then set state 1, locked_by and locked_at, and commit. Jobs must be idempotent: a worker that
-- dies leaves state 1 behind, and a reaper puts jobs locked too long ago back to state 0.
CREATE TABLE IF NOT EXISTS tb_job (
  id         bigint unsigned   NOT NULL COMMENT 'lib/base/id.c ID made on this shard',
  type       varchar(64)       CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'e.g. follow.reverse, notify.like',
  payload    json              NOT NULL COMMENT 'the arguments, a JSON object',
  state      tinyint unsigned  NOT NULL DEFAULT 0 COMMENT '0 ready, 1 running, 2 done, 3 failed for good',
  attempts   smallint unsigned NOT NULL DEFAULT 0,
  run_after  bigint unsigned   NOT NULL DEFAULT 0 COMMENT 'not before this (retries back off by moving it)',
  last_error varchar(1024)     NOT NULL DEFAULT '',
  locked_by  varchar(128)      NOT NULL DEFAULT '' COMMENT 'worker that holds it: host:pid',
  locked_at  bigint unsigned   NOT NULL DEFAULT 0,
  created_at bigint unsigned   NOT NULL DEFAULT 0,
  updated_at bigint unsigned   NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY idx_state_run_after (state, run_after)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on the shard that queued them';

-- Each process that makes IDs holds one worker number (lib/base/id.h) under a lease it renews well
-- before expires_at. A number is taken by inserting its row (a duplicate key: someone has it)
-- or by UPDATE ... WHERE worker = ? AND expires_at < :now (one affected row: taken over).
CREATE TABLE IF NOT EXISTS tb_id_worker_lease (
  worker      tinyint unsigned NOT NULL COMMENT '0 .. 255, the ID''s worker field',
  holder      varchar(128)     NOT NULL COMMENT 'host:pid:random of the holding process',
  expires_at  bigint unsigned  NOT NULL COMMENT 'free for another process after this',
  acquired_at bigint unsigned  NOT NULL DEFAULT 0,
  updated_at  bigint unsigned  NOT NULL DEFAULT 0 COMMENT 'last renewal',
  PRIMARY KEY (worker)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='rows on shard 0 only';

INSERT IGNORE INTO tb_schema_migration (version, applied_at) VALUES ('007_system', UNIX_TIMESTAMP());
