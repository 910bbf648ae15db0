/* db.h: connections to the MariaDB/MySQL instances, one per physical instance per process.
 *
 * Connections open lazily, on first use, and are kept for the life of the worker. A lost
 * connection is closed and opened again explicitly on the next use: Connector/C's auto-reconnect
 * is left off because it silently invalidates prepared statements and refuses inside a
 * transaction. Timeouts come from the [mysql] section, so a dead instance costs a request at most
 * connect_timeout seconds and becomes a 503, never a hang.
 *
 * Return convention of this layer: <0 system failure (connection, server error), 0 done. */
#ifndef STARLING_DB_H
#define STARLING_DB_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"

struct db;

/* Parses conf->mysql_instances ("host:port, /path/to.sock, ...") and the shard map; connects to
 * nothing yet. Returns NULL with a message in err when either is malformed. conf is borrowed and must outlive
 * the db. */
struct db *db_new(const struct conf *conf, struct buf *err);

/* The logical shard map (see shard.h), borrowed for the life of the db. */
struct shard_map;
const struct shard_map *db_shards(const struct db *db);

/* The number of physical instances. */
size_t db_instance_count(const struct db *db);

/* Checks that every instance answers (connecting if needed). Returns 0, or -1 with the instances
 * that did not answer, and why, in err. Every failure is also logged. */
int db_ping(struct db *db, struct buf *err);

/* Closes every connection (the next use reopens them). */
void db_close_all(struct db *db);

void db_free(struct db *db);

#endif
