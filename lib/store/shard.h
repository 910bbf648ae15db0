/* shard.h: which database holds what: logical shards and their map onto physical instances.
 *
 * Data is split over a fixed number of logical shards ([mysql] logical_shards, chosen at install
 * and never changed afterwards), each one MySQL database named <database>_<NNNN> ("starling_0007").
 * The logical shards are spread over the physical instances of [mysql] instances by
 * [mysql] shard_map, or evenly in order when that is empty. Moving a logical shard to another
 * instance is a copy of its database plus a change of shard_map: no ID or row changes, because
 * IDs carry the logical shard, never the instance (see id.h and docs/data.md).
 *
 * Which shard a row lives on:
 *   - a user's own rows: the shard inside the user's ID;
 *   - a post, notification...: the shard inside its ID (its author's or owner's shard);
 *   - a reply: the shard of the post it answers, so a thread is one database (docs/schema.md);
 *   - a lookup row keyed by text (username or email, for uniqueness across all shards):
 *     shard_for_key() of the lowercased key. */
#ifndef STARLING_SHARD_H
#define STARLING_SHARD_H

#include <stddef.h>

#include "buf.h"

struct shard_map;

/* Builds the map of nshards logical shards (1 .. ID_MAX_SHARDS) over ninstances instances from
 * spec: "" (even split, in order) or comma-separated "FIRST-LAST@INSTANCE" ranges (instances
 * numbered from 0 in the order of [mysql] instances), e.g. "0-31@0, 32-63@1". Every shard must be
 * mapped exactly once. Returns NULL with a message in err otherwise. */
struct shard_map *shard_map_new(unsigned nshards, size_t ninstances, const char *spec,
    struct buf *err);

unsigned shard_count(const struct shard_map *m);
/* The instance (index into [mysql] instances) holding logical shard s (< shard_count). */
size_t shard_instance(const struct shard_map *m, unsigned s);

/* Appends the database name of shard s to out: prefix "_" four digits ("starling_0007"). */
void shard_db_name(const char *prefix, unsigned s, struct buf *out);

/* The shard of a lookup key (n bytes, already lowercased by the caller): FNV-1a, 64-bit, modulo
 * the shard count. Fixed forever: changing it would lose every lookup row. */
unsigned shard_for_key(const struct shard_map *m, const char *key, size_t n);

void shard_map_free(struct shard_map *m);

#endif
