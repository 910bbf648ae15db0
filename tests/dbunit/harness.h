/* harness.h: what the database unit tests (tests/dbunit/) share: one application environment on
 * the real MariaDB and memcached that tests/dbunit/run.sh starts (or that $STARLING_TEST_CONF
 * names), new activated users, and a request context acting as one of them.
 *
 * These tests are kept apart from the hermetic ones of tests/unit/ because they need servers:
 * each drives the public functions of one domain module (lib/social/post.h, lib/social/graph.h,
 * lib/social/user.h) against Starling's schema, where tests/unit/ fakes nothing and needs nothing.
 * Every test makes its own users (fresh random names), so the tests share one database, run in any
 * order and can be run again against a database that is not empty. */
#ifndef STARLING_DBUNIT_HARNESS_H
#define STARLING_DBUNIT_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "test.h"

#include <json-c/json.h>

#include "app.h"
#include "db.h"

/* The longest username dbunit_user makes, with its NUL: valid_username takes 3..15 characters. */
#define DBUNIT_NAME_MAX 16

/* The environment of every test in the group (conf, db, cache, id leases): set up by
 * dbunit_main before the first test, freed after the last. */
extern struct app_env dbunit_env;

/* Runs tests as one cmocka group named name on dbunit_env. Returns the exit status: cmocka's
 * count of failures, or 77 (automake's skip) when $STARLING_TEST_CONF is not set. */
int dbunit_main(const char *name, const struct CMUnitTest *tests, size_t n);

/* A new activated user whose username is prefix (at most 4 characters) and random hex digits,
 * written to name (DBUNIT_NAME_MAX bytes; may be NULL), email name@example.com. Returns the ID;
 * fails the test when the account cannot be made. */
uint64_t dbunit_user(const char *prefix, char name[DBUNIT_NAME_MAX]);

/* The member at path (names joined by '.', "author.username") of o, or NULL when one is absent:
 * borrowed from o. dbunit_str gives a string member's text (NULL when absent or not a string),
 * dbunit_int a number's value (or a string of digits, as IDs are; -1 when absent). */
json_object *dbunit_get(json_object *o, const char *path);
const char *dbunit_str(json_object *o, const char *path);
int64_t dbunit_int(json_object *o, const char *path);

/* An ID that names nothing: a new one from the ID leases (lib/store/idlease.h) on shard 0, never
 * handed to a row. */
uint64_t dbunit_unused_id(void);

/* A new ID from the ID leases on shard, never handed to a row by Starling: the ID of a user or
 * a record a test writes by SQL. */
uint64_t dbunit_new_id(unsigned shard);

/* Runs one statement of SQL (the tests' own rows, set up or changed under a module) on shard;
 * fails the test when it fails. */
void dbunit_exec(unsigned shard, const char *sql, const struct db_val *params, size_t n);

/* The first column of the first row of a query with one ID parameter (a) or two (a, b), as a
 * number; 0 when there is no row. Fails the test when the query fails. */
uint64_t dbunit_value(unsigned shard, const char *sql, uint64_t a, uint64_t b);

/* A record of user written by SQL as lib/social/post.c writes one, without its jobs: the tb_post
 * row (type 0 post, 1 repost, 2 quote of original; hashtags the column's space-separated keys) and
 * its counters row, on the user's shard. Returns its ID. For tests of what runs after a write (the
 * outbox's handlers), which set up the source of truth themselves. */
uint64_t dbunit_post_row(uint64_t user, int type, uint64_t original, const char *hashtags);

/* A counter (a tb_post_extended column: count_likes, count_reposts, ...) of post. */
uint64_t dbunit_post_count(uint64_t post, const char *column);

/* An environment on dbunit_env's servers with local media storage of its own, in a new
 * temporary directory (/tmp/<name>.XXXXXX), for the tests of the media modules: NULL when the
 * directory cannot be made (media_new failing fails the test). dbunit_media_free removes the
 * directory and what it holds. */
struct dbunit_media {
	struct app_env   env;   /* dbunit_env's servers and conf, but storage = local in dir */
	struct jwt_keys *keys;
	char             dir[64];
};
struct dbunit_media *dbunit_media_new(const char *name);
void dbunit_media_free(struct dbunit_media *m);

/* ctx as a request of user (0: a visitor) on dbunit_env; ctx_free it after. */
void dbunit_as(struct ctx *ctx, uint64_t user);

#endif
