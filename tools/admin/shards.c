/* shards.c: starling-admin shards: which instance holds which shards, and its health (admin.h). */
#include "config.h"

#include <stdio.h>

#include "buf.h"
#include "db.h"
#include "shard.h"

#include "admin.h"

/* ------------------------------------------------------------------------------------------ */
/* shards */

int
cmd_shards(struct admin *a)
{
	const struct shard_map *m = db_shards(a->db);
	struct buf err = BUF_INIT, name = BUF_INIT;
	struct db_rows r = DB_ROWS_INIT;
	unsigned s, last, n = shard_count(m);
	size_t i, ninst = db_instance_count(a->db);
	int rc = EXIT_DONE;

	admin_db_names(a, 0, n - 1, &name);
	printf("%u logical shards (databases %s) over %zu instance%s:\n", n, buf_cstr(&name),
	    ninst, ninst == 1 ? "" : "s");
	/* The map, a line per run of consecutive shards on one instance. */
	for (s = 0; s < n; s = last + 1) {
		size_t inst = shard_instance(m, s);

		for (last = s; last + 1 < n && shard_instance(m, last + 1) == inst; last++)
			;
		buf_reset(&name);
		admin_db_names(a, s, last, &name);
		if (last > s)
			printf("  %u-%u -> %s  (%s)\n", s, last, db_instance_name(a->db, inst),
			    buf_cstr(&name));
		else
			printf("  %u -> %s  (%s)\n", s, db_instance_name(a->db, inst),
			    buf_cstr(&name));
	}
	for (i = 0; i < ninst; i++) {
		buf_reset(&err);
		buf_reset(&name);
		admin_instance_ranges(a, i, &name);
		if (db_ping_instance(a->db, i, admin_ping_ms(a), &err) != 0) {
			/* err names the instance already. */
			printf("instance %zu: DOWN: %s\n", i, buf_cstr(&err));
			rc = EXIT_FAILED;
		} else if ((s = admin_first_shard(a, i)) == NO_SHARD) {
			printf("instance %zu %s: ok, holds no shard\n", i,
			    db_instance_name(a->db, i));
		} else if (db_exec(a->db, s, "SELECT VERSION()", NULL, 0, &r) != 0) {
			printf("instance %zu %s: answers ping, but SELECT VERSION() failed (error "
			    "above)\n", i, db_instance_name(a->db, i));
			rc = EXIT_FAILED;
		} else {
			printf("instance %zu %s: ok, %s, shards %s\n", i,
			    db_instance_name(a->db, i), db_str(&r, 0, 0), buf_cstr(&name));
		}
	}
	if (rc != EXIT_DONE)
		admin_fail("shards: an instance is down or failing (above)");
	db_rows_free(&r);
	buf_free(&err);
	buf_free(&name);
	return rc;
}
