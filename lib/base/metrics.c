/* metrics.c: a host's request counters in a shared mapped file, rendered for Prometheus
 * (metrics.h). */
#include "config.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "shmfile.h"
#include "xalloc.h"

/* "SMET" and the layout's version: a file of another layout is not used (logged). */
#define MAGIC          0x54454d53u
#define LAYOUT_VERSION 1u

/* The binaries, in the order of their rows; the last row is any other program. */
static const char *const binaries[] = {
	"starling-site", "starling-account", "starling-post", "starling-feed", "starling-upload",
	"other",
};
#define NBIN (sizeof binaries / sizeof binaries[0])

/* The statuses Starling answers (docs/api.md); the last column is any other. */
static const int statuses[] = {
	200, 204, 301, 302, 303, 304, 400, 401, 403, 404, 405, 409, 410, 413, 414, 415, 422, 429,
	431, 500, 502, 503, 504, 0,
};
#define NSTATUS (sizeof statuses / sizeof statuses[0])

/* Upper bounds of the latency buckets, in milliseconds; the last bucket is +Inf. */
static const double bounds_ms[] = {
	1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
};
#define NBOUND (sizeof bounds_ms / sizeof bounds_ms[0])

/* One binary's counters. Every field is only changed with __atomic_fetch_add. */
struct row {
	uint64_t requests[NSTATUS];
	uint64_t buckets[NBOUND + 1];   /* not cumulative: each request adds to its own bucket */
	uint64_t us_sum;                /* microseconds, summed */
	uint64_t mc, db, keys, hits, shed;
};

struct file {
	struct shmfile_head head;
	struct row          row[NBIN];
	uint64_t            errors[METRICS_INSTANCES], timeouts[METRICS_INSTANCES];
};

struct metrics {
	struct file *f;
	bool         mapped;
	size_t       bin;      /* this process's row */
	/* This process's totals as last added (metrics_instance adds the growth). */
	uint64_t     errors[METRICS_INSTANCES], timeouts[METRICS_INSTANCES];
};

static void
add(uint64_t *p, uint64_t n)
{
	if (n != 0)
		__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

static uint64_t
get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

struct metrics *
metrics_open(const struct conf *conf, const char *binary)
{
	struct metrics *m = xcalloc(1, sizeof *m);

	m->f = shmfile_open(conf->metrics_state_file, sizeof *m->f, MAGIC, LAYOUT_VERSION, "metrics",
	    &m->mapped);
	for (m->bin = 0; m->bin < NBIN - 1; m->bin++)
		if (binary != NULL && strcmp(binary, binaries[m->bin]) == 0)
			break;
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	shmfile_close(m->f, sizeof *m->f, m->mapped);
	free(m);
}

static size_t
status_index(int status)
{
	size_t i;

	for (i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			break;
	return i;
}

static size_t
bucket_index(double ms)
{
	size_t i;

	for (i = 0; i < NBOUND; i++)
		if (ms <= bounds_ms[i])
			break;
	return i;
}

void
metrics_request(struct metrics *m, const struct metrics_request *r)
{
	struct row *w = &m->f->row[m->bin];

	add(&w->requests[status_index(r->status)], 1);
	add(&w->buckets[bucket_index(r->ms)], 1);
	add(&w->us_sum, r->ms > 0 ? (uint64_t)(r->ms * 1000.0) : 0);
	add(&w->mc, r->mc);
	add(&w->db, r->db);
	add(&w->keys, r->keys);
	add(&w->hits, r->hits);
	add(&w->shed, r->shed ? 1 : 0);
}

void
metrics_instance(struct metrics *m, size_t i, uint64_t errors, uint64_t timeouts)
{
	if (i >= METRICS_INSTANCES)
		return;
	if (errors > m->errors[i])
		add(&m->f->errors[i], errors - m->errors[i]);
	if (timeouts > m->timeouts[i])
		add(&m->f->timeouts[i], timeouts - m->timeouts[i]);
	m->errors[i] = errors;
	m->timeouts[i] = timeouts;
}

static void
family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Instances that never failed are left out: the file does not know how many there are. */
static void
render_instances(const struct metrics *m, struct buf *out)
{
	size_t i;

	family(out, "starling_mysql_errors_total", "counter", "Connects that failed and "
	    "connections lost, by instance (its index in [mysql] instances).");
	for (i = 0; i < METRICS_INSTANCES; i++)
		if (get(&m->f->errors[i]) != 0)
			buf_printf(out, "starling_mysql_errors_total{instance=\"%zu\"} %" PRIu64 "\n", i,
			    get(&m->f->errors[i]));
	family(out, "starling_mysql_timeouts_total", "counter", "Statements past their deadline "
	    "([mysql] statement_timeout_ms), by instance.");
	for (i = 0; i < METRICS_INSTANCES; i++)
		if (get(&m->f->timeouts[i]) != 0)
			buf_printf(out, "starling_mysql_timeouts_total{instance=\"%zu\"} %" PRIu64 "\n", i,
			    get(&m->f->timeouts[i]));
}

/* One counter per binary: name{binary="..."} value. */
static void
per_binary(const struct metrics *m, struct buf *out, const char *name, const char *help,
    size_t offset)
{
	size_t b;

	family(out, name, "counter", help);
	for (b = 0; b < NBIN; b++)
		buf_printf(out, "%s{binary=\"%s\"} %" PRIu64 "\n", name, binaries[b],
		    get((const uint64_t *)((const char *)&m->f->row[b] + offset)));
}

static void
render_requests(const struct metrics *m, struct buf *out)
{
	size_t b, s;
	uint64_t n;

	family(out, "starling_requests_total", "counter",
	    "Requests answered, by binary and HTTP status (status=\"other\": any other).");
	for (b = 0; b < NBIN; b++)
		for (s = 0; s < NSTATUS; s++) {
			/* Statuses never answered are left out, as Prometheus clients do. */
			if ((n = get(&m->f->row[b].requests[s])) == 0)
				continue;
			if (statuses[s] != 0)
				buf_printf(out, "starling_requests_total{binary=\"%s\",status=\"%d\"} %"
				    PRIu64 "\n", binaries[b], statuses[s], n);
			else
				buf_printf(out, "starling_requests_total{binary=\"%s\",status=\"other\"} %"
				    PRIu64 "\n", binaries[b], n);
		}
}

static void
render_latency(const struct metrics *m, struct buf *out)
{
	const char *name = "starling_request_duration_seconds";
	uint64_t cum;
	size_t b, i;

	family(out, name, "histogram", "Time of a request inside its process, from its start to "
	    "its last byte written.");
	for (b = 0; b < NBIN; b++) {
		const struct row *w = &m->f->row[b];

		cum = 0;
		for (i = 0; i <= NBOUND; i++) {
			cum += get(&w->buckets[i]);
			if (i < NBOUND)
				buf_printf(out, "%s_bucket{binary=\"%s\",le=\"%g\"} %" PRIu64 "\n", name,
				    binaries[b], bounds_ms[i] / 1000.0, cum);
			else
				buf_printf(out, "%s_bucket{binary=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", name,
				    binaries[b], cum);
		}
		buf_printf(out, "%s_sum{binary=\"%s\"} %.6f\n", name, binaries[b],
		    (double)get(&w->us_sum) / 1e6);
		buf_printf(out, "%s_count{binary=\"%s\"} %" PRIu64 "\n", name, binaries[b], cum);
	}
}

void
metrics_render(const struct metrics *m, struct buf *out)
{
	render_requests(m, out);
	render_latency(m, out);
	per_binary(m, out, "starling_memcached_round_trips_total",
	    "Requests to memcached nodes (a multi-get to two nodes counts 2).", offsetof(struct row, mc));
	per_binary(m, out, "starling_mysql_round_trips_total",
	    "Statements, transaction starts and ends sent to MariaDB.", offsetof(struct row, db));
	per_binary(m, out, "starling_cache_keys_total", "Memcached keys asked for.",
	    offsetof(struct row, keys));
	per_binary(m, out, "starling_cache_hits_total", "Memcached keys asked for and found.",
	    offsetof(struct row, hits));
	per_binary(m, out, "starling_shed_total",
	    "Requests refused by load shedding (503 with Retry-After).", offsetof(struct row, shed));
	render_instances(m, out);
	family(out, "starling_metrics_shared", "gauge",
	    "1: the counts are the host's ([metrics] state_file); 0: this process's alone.");
	buf_printf(out, "starling_metrics_shared %d\n", m->mapped ? 1 : 0);
}

/* The next address of list (comma or blank separated) into word; false at the end. */
static bool
next_word(const char **list, char *word, size_t size)
{
	const char *s = *list;
	size_t n;

	s += strspn(s, ", \t");
	n = strcspn(s, ", \t");
	if (n == 0)
		return false;
	if (n >= size)
		n = size - 1;   /* too long for an address: it will not parse */
	memcpy(word, s, n);
	word[n] = '\0';
	*list = s + strcspn(s, ", \t");
	return true;
}

/* addr as 16 bytes of IPv6 (IPv4 as ::ffff:a.b.c.d). */
static bool
parse_addr(const char *addr, struct in6_addr *out)
{
	struct in_addr v4;

	if (inet_pton(AF_INET6, addr, out) == 1)
		return true;
	if (inet_pton(AF_INET, addr, &v4) != 1)
		return false;
	memset(out, 0, sizeof *out);
	out->s6_addr[10] = out->s6_addr[11] = 0xff;
	memcpy(&out->s6_addr[12], &v4, 4);
	return true;
}

bool
metrics_allowed(const struct conf *conf, const char *addr)
{
	const char *list = conf->metrics_allow ? conf->metrics_allow : "";
	struct in6_addr want, a;
	char word[64];

	if (addr == NULL || !parse_addr(addr, &want))
		return false;
	while (next_word(&list, word, sizeof word))
		if (parse_addr(word, &a) && memcmp(&a, &want, sizeof a) == 0)
			return true;
	return false;
}
