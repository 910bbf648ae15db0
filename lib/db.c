/* db.c: lazily opened, kept connections to the physical MariaDB/MySQL instances. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "db.h"
#include "log.h"
#include "shard.h"
#include "xalloc.h"

struct db_instance {
	char         *host;     /* NULL for a Unix socket */
	unsigned int  port;
	char         *socket;   /* NULL for TCP */
	MYSQL        *conn;     /* NULL until connected */
};

struct db {
	const struct conf  *conf;
	struct db_instance *inst;
	size_t              n;
	struct shard_map   *shards;
};

static void
instance_close(struct db_instance *in)
{
	if (in->conn != NULL) {
		mysql_close(in->conn);
		in->conn = NULL;
	}
}

static const char *
instance_name(const struct db_instance *in, char *out, size_t size)
{
	if (in->socket)
		snprintf(out, size, "%s", in->socket);
	else
		snprintf(out, size, "%s:%u", in->host, in->port);
	return out;
}

/* Parses one "host:port" or "/socket" entry of n bytes. */
static int
parse_instance(const char *s, size_t n, struct db_instance *in, struct buf *err)
{
	const char *colon;
	char *end;
	unsigned long port;

	memset(in, 0, sizeof *in);
	if (n > 0 && s[0] == '/') {
		in->socket = xstrndup(s, n);
		return 0;
	}
	colon = memchr(s, ':', n);
	if (colon == NULL || colon == s || colon + 1 == s + n) {
		buf_printf(err, "[mysql] instances: \"%.*s\" is not host:port or a socket path", (int)n, s);
		return -1;
	}
	port = strtoul(colon + 1, &end, 10);
	if (end != s + n || port == 0 || port > 65535) {
		buf_printf(err, "[mysql] instances: bad port in \"%.*s\"", (int)n, s);
		return -1;
	}
	in->host = xstrndup(s, (size_t)(colon - s));
	in->port = (unsigned int)port;
	return 0;
}

struct db *
db_new(const struct conf *conf, struct buf *err)
{
	struct db *db = xcalloc(1, sizeof *db);
	const char *p = conf->mysql_instances;

	db->conf = conf;
	while (*p) {
		size_t n;

		p += strspn(p, " ,");
		n = strcspn(p, ",");
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == 0)
			break;
		db->inst = xrealloc(db->inst, (db->n + 1) * sizeof *db->inst);
		if (parse_instance(p, n, &db->inst[db->n], err) != 0) {
			db_free(db);
			return NULL;
		}
		db->n++;
		p += strcspn(p, ",");
	}
	if (db->n == 0) {
		buf_puts(err, "[mysql] instances: no instance listed");
		db_free(db);
		return NULL;
	}
	/* A map that leaves a shard without an instance must stop start-up, not a request. */
	db->shards = shard_map_new((unsigned)conf->mysql_logical_shards, db->n, conf->mysql_shard_map,
	    err);
	if (db->shards == NULL) {
		db_free(db);
		return NULL;
	}
	return db;
}

const struct shard_map *
db_shards(const struct db *db)
{
	return db->shards;
}

size_t
db_instance_count(const struct db *db)
{
	return db->n;
}

/* Opens the connection of in if it is not open. Returns 0 or -1 (logged, and told in err). */
static int
instance_connect(const struct db *db, struct db_instance *in, struct buf *err)
{
	const struct conf *c = db->conf;
	unsigned int ct = (unsigned int)c->mysql_connect_timeout;
	unsigned int rt = (unsigned int)c->mysql_read_timeout;
	unsigned int wt = (unsigned int)c->mysql_write_timeout;
	my_bool off = 0;
	char name[300];

	if (in->conn != NULL)
		return 0;
	in->conn = mysql_init(NULL);
	if (in->conn == NULL) {
		buf_printf(err, "%s: out of memory", instance_name(in, name, sizeof name));
		return -1;
	}
	mysql_options(in->conn, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_options(in->conn, MYSQL_OPT_READ_TIMEOUT, &rt);
	mysql_options(in->conn, MYSQL_OPT_WRITE_TIMEOUT, &wt);
	mysql_options(in->conn, MYSQL_OPT_RECONNECT, &off);
	mysql_options(in->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (in->host != NULL) {
		unsigned int proto = MYSQL_PROTOCOL_TCP;

		mysql_options(in->conn, MYSQL_OPT_PROTOCOL, &proto);
	}
	if (mysql_real_connect(in->conn, in->host, c->mysql_user, c->mysql_password,
	    c->mysql_database, in->port, in->socket, 0) == NULL) {
		instance_name(in, name, sizeof name);
		log_error("mysql %s: connect failed: %s", name, mysql_error(in->conn));
		buf_printf(err, "%s%s: %s", err->len ? "; " : "", name, mysql_error(in->conn));
		instance_close(in);
		return -1;
	}
	return 0;
}

int
db_ping(struct db *db, struct buf *err)
{
	char name[300];
	size_t i;
	int rc = 0;

	for (i = 0; i < db->n; i++) {
		struct db_instance *in = &db->inst[i];

		if (in->conn != NULL && mysql_ping(in->conn) != 0) {
			/* A kept connection that went away: one fresh attempt. */
			log_warn("mysql %s: connection lost (%s); reconnecting",
			    instance_name(in, name, sizeof name), mysql_error(in->conn));
			instance_close(in);
		}
		if (instance_connect(db, in, err) != 0)
			rc = -1;
	}
	return rc;
}

void
db_close_all(struct db *db)
{
	size_t i;

	for (i = 0; i < db->n; i++)
		instance_close(&db->inst[i]);
}

void
db_free(struct db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->n; i++) {
		instance_close(&db->inst[i]);
		free(db->inst[i].host);
		free(db->inst[i].socket);
	}
	free(db->inst);
	shard_map_free(db->shards);
	free(db);
}
