#!/bin/sh
# tests/integration/schema.sh: the schema files in sql/ apply to shard databases cleanly and
# idempotently, and make the tables, keys and behaviour docs/schema.md describes.
#
# Starts a private MariaDB on a free loopback port under a fresh temporary directory (with
# script/lib/stack.sh) and checks:
#   - the files themselves, applied in name order with the mariadb client (which shows warnings)
#     to a scratch database, twice: no error, and no warning the first time (the second time only
#     "table already exists" notes); `mariadb-dump --no-data --skip-comments` is the same after
#     the first and the second application;
#   - the shard databases as production makes them: `starling-admin migrate` with two logical
#     shards creates starling_0000 and starling_0001; a second migrate applies nothing; the dumps
#     are the same after both, for both shards, and as the scratch database's;
#   - in each shard, exactly the expected tables exist, all InnoDB and utf8mb4_unicode_ci, with no
#     AUTO_INCREMENT; tb_schema_migration lists every file;
#   - a few behaviours the application relies on (idempotent likes, one live repost, CJK search
#     through bigrams, the job queue's SKIP LOCKED, JSON payloads, worker numbers 0..255,
#     exact-byte lookup keys).
# tests/integration/admin.sh tests starling-admin itself (two instances, kills, locks, errors).
# The server is stopped and the directory removed at exit, whatever happened.
#
# Run by `make check` with STARLING_SRCDIR and STARLING_BUILDDIR (absolute); by hand:
#   STARLING_SRCDIR=$PWD STARLING_BUILDDIR=$PWD sh tests/integration/schema.sh
# STARLING_KEEP_RUN=1 keeps the run directory (server log, dumps) for a post-mortem.
# Prints one PASS or FAIL line per check, then "N passed, N failed".
# Exit status (automake): 0 passed, 1 failed, 99 could not run (missing tool or binary, server did
# not start).
set -eu
LC_ALL=C
export LC_ALL

SRCDIR=${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${STARLING_BUILDDIR:-$SRCDIR}
ADMIN=$BUILDDIR/tools/starling-admin

# shellcheck source=../../script/lib/stack.sh
. "$SRCDIR/script/lib/stack.sh"
# shellcheck disable=SC2034 # read by stack.sh
STACK_QUIET=1

say() { printf 'schema.sh: %s\n' "$*"; }

for tool in mariadbd mariadb-install-db mariadb mariadb-dump python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		say "ERROR: '$tool' is not installed; run script/bootstrap"
		exit 99
	fi
done
if [ ! -x "$ADMIN" ]; then
	say "ERROR: $ADMIN is not built"
	exit 99
fi

# The tables every shard database must hold, and nothing else.
EXPECTED_TABLES="tb_email_lookup tb_hashtag tb_id_worker_lease tb_idempotency_key tb_job
tb_bookmark tb_media tb_moderation_log tb_notification tb_parsed_url tb_post tb_post_extended
tb_post_like tb_post_like_reversed
tb_post_repost_reversed
tb_post_reply tb_post_reply_extended tb_post_reply_hashtag tb_recommended_hashtag
tb_recommended_user tb_reported_content tb_reported_user tb_reserved_username tb_revoked_token
tb_schema_migration tb_switch tb_trend_hashtag tb_trend_user tb_user tb_user_extended tb_user_role
tb_user_relationship
tb_user_relationship_reversed
tb_user_reply tb_user_reset tb_username_lookup"
# What `starling-admin migrate` makes of two logical shards; and a database for the client.
SHARDS="starling_0000 starling_0001"
SCRATCH=schema_scratch

RUN=$(mktemp -d "${TMPDIR:-/tmp}/starling-schema.XXXXXX")
# shellcheck source=../lib/checks.sh
. "$SRCDIR/tests/lib/checks.sh"

stack_cleanup_on_exit "$RUN"

# sql DB STATEMENTS: run statements as root in DB; print the rows, tab-separated, no header.
sql() {
	stack_mariadb_client "$RUN" --batch --skip-column-names --database="$1" -e "$2"
}

# expect WHAT DB STATEMENTS WANT: the rows of STATEMENTS in DB must be exactly WANT.
expect() {
	if got=$(sql "$2" "$3" 2>&1) && [ "$got" = "$4" ]; then
		pass "$1"
	else
		fail "$1: got '$got', want '$4'"
	fi
}

# expect_error WHAT DB STATEMENTS: STATEMENTS must fail in DB.
expect_error() {
	if got=$(sql "$2" "$3" 2>&1); then
		fail "$1: succeeded, want an error"
	else
		pass "$1 ($(printf '%s\n' "$got" | sed -n '/^ERROR/{p;q;}'))"
	fi
}

# unexpected FILE: print the lines of a client's output other than file markers, the notes of
# CREATE TABLE IF NOT EXISTS on an existing table and of ADD COLUMN IF NOT EXISTS on an existing
# column, and the warnings of INSERT IGNORE into tb_schema_migration (the expected output of a
# second application); fail if there are none.
unexpected() {
	grep -v -e '^-- ' -e '^Note (Code 1050): Table .* already exists$' \
		-e "^Note (Code 1060): Duplicate column name '[a-z_]*'$" \
		-e "^Warning (Code 1062): Duplicate entry '[0-9a-z_]*' for key 'PRIMARY'$" "$1"
}

# apply DB OUT: apply every sql/*.sql to DB in name order; the client's output (warnings shown)
# goes to OUT. Fails at the first file that fails.
apply() {
	: >"$2"
	for f in "$SRCDIR"/sql/*.sql; do
		printf -- '-- %s\n' "${f##*/}" >>"$2"
		stack_mariadb_client "$RUN" --show-warnings --database="$1" <"$f" >>"$2" 2>&1 || return 1
	done
}

# dump DB FILE: the schema of DB, without data or comments (nothing that differs between runs).
dump() {
	mariadb-dump --no-defaults --protocol=socket --socket="$RUN/mysql.sock" --user=root \
		--no-data --skip-comments "$1" >"$2" 2>"$2.err" || {
		fail "mariadb-dump of $1"
		show "$2.err"
	}
}

say "run directory $RUN"
stack_prepare "$RUN"
port=$(stack_free_port)
if ! stack_mariadb_start "$RUN" "$port"; then
	say "ERROR: MariaDB did not start"
	exit 99
fi

files=""
for f in "$SRCDIR"/sql/*.sql; do
	[ -e "$f" ] || continue
	f=${f##*/}
	files="$files ${f%.sql}"
done
if [ -z "$files" ]; then
	fail "no schema file in $SRCDIR/sql"
fi

# --- the files, through the client --------------------------------------------------------------
db=$SCRATCH
sql mysql "CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" >/dev/null

# First application: no error, no warning at all.
out=$RUN/$db.apply1.out
if apply "$db" "$out"; then
	if grep -v '^-- ' "$out" >"$out.warnings"; then
		fail "first application warns"
		show "$out.warnings"
	else
		pass "first application of every file, without error or warning"
	fi
else
	fail "first application fails"
	grep -v '^-- ' "$out" | sed 's/^/  | /' || true
fi
dump "$db" "$RUN/$db.dump1"

# Second application: no error; only notes that tables already exist and the warnings of
# INSERT IGNORE into tb_schema_migration.
out=$RUN/$db.apply2.out
if apply "$db" "$out"; then
	if unexpected "$out" >"$out.warnings"; then
		fail "second application warns"
		show "$out.warnings"
	else
		pass "second application of every file, without error"
	fi
else
	fail "second application fails"
	unexpected "$out" | sed 's/^/  | /' || true
fi
dump "$db" "$RUN/$db.dump2"

if cmp -s "$RUN/$db.dump1" "$RUN/$db.dump2"; then
	pass "schema dump identical after the first and the second application"
else
	fail "schema dump changed by the second application"
	diff -u "$RUN/$db.dump1" "$RUN/$db.dump2" | sed 's/^/  | /' || true
fi

# --- the shard databases, through starling-admin migrate ---------------------------------------
password=$(stack_gen_password)
if ! stack_mariadb_setup "$RUN" starling starling "$password"; then
	say "ERROR: cannot create the account"
	exit 99
fi
(
	umask 077
	cat >"$RUN/starling.conf" <<EOF
[mysql]
instances = 127.0.0.1:$port
user = starling
password = $password
database = starling
logical_shards = 2
EOF
)
# migrate N: the Nth run of starling-admin migrate; its output in RUN/migrate.N.
migrate() {
	if "$ADMIN" -c "$RUN/starling.conf" -s "$SRCDIR/sql" migrate >"$RUN/migrate.$1" 2>&1; then
		pass "starling-admin migrate, run $1"
	else
		fail "starling-admin migrate, run $1, fails"
		show "$RUN/migrate.$1"
	fi
}
migrate 1
for db in $SHARDS; do
	dump "$db" "$RUN/$db.dump1"
done
migrate 2
if grep -q '^migrate: nothing to apply' "$RUN/migrate.2" && ! grep -q ': applied ' "$RUN/migrate.2"
then
	pass "the second migrate applies nothing"
else
	fail "the second migrate applied something"
	show "$RUN/migrate.2"
fi

for db in $SHARDS; do
	dump "$db" "$RUN/$db.dump2"
	if cmp -s "$RUN/$db.dump1" "$RUN/$db.dump2"; then
		pass "$db: schema dump identical after the first and the second migrate"
	else
		fail "$db: schema dump changed by the second migrate"
		diff -u "$RUN/$db.dump1" "$RUN/$db.dump2" | sed 's/^/  | /' || true
	fi

	# Exactly the expected tables.
	# shellcheck disable=SC2086 # one name per word
	want=$(printf '%s\n' $EXPECTED_TABLES | sort)
	got=$(sql "$db" "SELECT table_name FROM information_schema.tables
		WHERE table_schema = DATABASE()" | sort)
	if [ "$got" = "$want" ]; then
		pass "$db: exactly the $(printf '%s\n' "$want" | wc -l) expected tables"
	else
		fail "$db: tables differ from the expected list (< expected, > found)"
		printf '%s\n' "$want" >"$RUN/tables.want"
		printf '%s\n' "$got" >"$RUN/tables.got"
		diff "$RUN/tables.want" "$RUN/tables.got" | sed 's/^/  | /' || true
	fi

	# tb_media is ascii_bin on purpose (sql/016_media.sql): its keys are ASCII object keys,
	# compared byte for byte.
	expect "$db: every table InnoDB, utf8mb4_unicode_ci (tb_media ascii_bin)" "$db" \
		"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()
		 AND (engine <> 'InnoDB' OR (table_collation <> 'utf8mb4_unicode_ci' AND
		 NOT (table_name = 'tb_media' AND table_collation = 'ascii_bin')))" 0
	expect "$db: no AUTO_INCREMENT column (IDs come from lib/base/id.c)" "$db" \
		"SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
		 AND extra LIKE '%auto_increment%'" 0
	expect "$db: text columns are utf8mb4 or ascii only" "$db" \
		"SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
		 AND character_set_name NOT IN ('utf8mb4', 'ascii')" 0
	expect "$db: every table has a primary key" "$db" \
		"SELECT COUNT(*) FROM information_schema.tables t WHERE t.table_schema = DATABASE()
		 AND NOT EXISTS (SELECT 1 FROM information_schema.table_constraints c
		   WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name
		   AND c.constraint_type = 'PRIMARY KEY')" 0

	# shellcheck disable=SC2086 # one name per word
	want=$(printf '%s\n' $files | sort)
	expect "$db: tb_schema_migration lists every sql/ file" "$db" \
		"SELECT version FROM tb_schema_migration ORDER BY version" "$want"
done

# shellcheck disable=SC2086 # one name per word
set -- $SHARDS
if cmp -s "$RUN/$1.dump2" "$RUN/$2.dump2"; then
	pass "both shards have the same schema"
else
	fail "the shards' schemas differ"
	diff -u "$RUN/$1.dump2" "$RUN/$2.dump2" | sed 's/^/  | /' || true
fi
if cmp -s "$RUN/$SCRATCH.dump2" "$RUN/$1.dump2"; then
	pass "migrate makes the same schema as the client applying every file"
else
	fail "the shards' schema differs from the one the client made"
	diff -u "$RUN/$SCRATCH.dump2" "$RUN/$1.dump2" | sed 's/^/  | /' || true
fi

# Behaviour the application relies on, on the second shard (after the dumps: rows do not matter).
db=$2

expect "like is idempotent: a second INSERT IGNORE of (liker, record) adds nothing" "$db" \
	"INSERT IGNORE INTO tb_post_like (id, content_type, record_id, liker_id) VALUES (1, 0, 100, 7);
	 INSERT IGNORE INTO tb_post_like (id, content_type, record_id, liker_id) VALUES (2, 0, 100, 7);
	 SELECT ROW_COUNT(); SELECT COUNT(*) FROM tb_post_like WHERE liker_id = 7" "0
1"

expect_error "one live repost per user and record" "$db" \
	"INSERT INTO tb_post (id, user_id, post_type, original_id) VALUES (10, 7, 1, 500);
	 INSERT INTO tb_post (id, user_id, post_type, original_id) VALUES (11, 7, 1, 500)"
expect "a deleted repost does not block a new one; quotes are not limited" "$db" \
	"UPDATE tb_post SET is_deleted = 1 WHERE id = 10;
	 INSERT INTO tb_post (id, user_id, post_type, original_id) VALUES (12, 7, 1, 500);
	 INSERT INTO tb_post (id, user_id, post_type, original_id) VALUES (13, 7, 2, 500), (14, 7, 2, 500);
	 SELECT COUNT(*) FROM tb_post WHERE user_id = 7 AND original_id = 500" 4

# search_text as docs/schema.md defines it: "我爱中文搜索" becomes prefixed bigrams plus the last
# character alone.
expect "FULLTEXT finds a Chinese word through bigram tokens" "$db" \
	"INSERT INTO tb_post (id, user_id, content_text, search_text) VALUES
	 (20, 8, 'hello 我爱中文搜索', 'hello cj我爱 cj爱中 cj中文 cj文搜 cj搜索 cj索'),
	 (21, 8, '中国', 'cj中国 cj国');
	 SELECT id FROM tb_post WHERE MATCH(search_text) AGAINST('+\"cj中文 cj文搜\"' IN BOOLEAN MODE);
	 SELECT id FROM tb_post WHERE MATCH(search_text) AGAINST('+cj中*' IN BOOLEAN MODE) ORDER BY id;
	 SELECT id FROM tb_post WHERE MATCH(search_text) AGAINST('+cj索*' IN BOOLEAN MODE);
	 SELECT id FROM tb_post WHERE MATCH(search_text) AGAINST('+hello' IN BOOLEAN MODE)" "20
20
21
20
20"

expect "job queue: a worker's SELECT ... FOR UPDATE SKIP LOCKED takes the ready job" "$db" \
	"INSERT INTO tb_job (id, type, payload, state, run_after) VALUES
	 (30, 'notify.like', '{\"record_id\": \"100\"}', 0, 0),
	 (31, 'notify.like', '{}', 0, 4000000000), (32, 'notify.like', '{}', 2, 0);
	 START TRANSACTION;
	 SELECT id FROM tb_job WHERE state = 0 AND run_after <= UNIX_TIMESTAMP()
	 ORDER BY run_after LIMIT 10 FOR UPDATE SKIP LOCKED;
	 COMMIT" 30
expect_error "job payload must be JSON" "$db" \
	"INSERT INTO tb_job (id, type, payload) VALUES (33, 'x', 'not json')"

expect "worker numbers 0 and 255 fit" "$db" \
	"INSERT INTO tb_id_worker_lease (worker, holder, expires_at) VALUES (0, 'a', 1), (255, 'b', 1);
	 SELECT COUNT(*) FROM tb_id_worker_lease" 2
expect_error "worker number 256 is refused" "$db" \
	"INSERT INTO tb_id_worker_lease (worker, holder, expires_at) VALUES (256, 'c', 1)"

expect "lookup keys compare exact bytes (as shard_for_key hashes them)" "$db" \
	"INSERT INTO tb_username_lookup (username_key, user_id) VALUES ('strasse', 1), ('straße', 2);
	 INSERT INTO tb_email_lookup (email_key, user_id) VALUES ('e@x.org', 1), ('é@x.org', 2);
	 SELECT COUNT(*) FROM tb_username_lookup; SELECT COUNT(*) FROM tb_email_lookup" "2
2"
expect_error "a username key is taken once" "$db" \
	"INSERT INTO tb_username_lookup (username_key, user_id) VALUES ('strasse', 3)"

expect "notification of the same event is stored once" "$db" \
	"INSERT IGNORE INTO tb_notification (id, user_id, type, actor_id, post_id, record_id)
	 VALUES (40, 7, 1, 8, 100, 100), (41, 7, 1, 8, 100, 100), (42, 7, 2, 8, 100, 43);
	 SELECT COUNT(*) FROM tb_notification WHERE user_id = 7 AND is_read = 0" 2

printf '%s passed, %s failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
