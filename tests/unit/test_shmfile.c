/* test_shmfile.c: lib/base/shmfile.h on real files: a new file gets its header and size, two
 * mappings of one file share their bytes, a file of another magic or version is left alone (and its
 * bytes untouched), a file that cannot be opened is refused, and shmfile_open falls back to zeroed
 * private memory in every such case. */
#include "config.h"

#include "test.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmfile.h"

#define LAYOUT_MAGIC   0x54534554u   /* "TEST" */
#define LAYOUT_VERSION 3u

struct layout {
	struct shmfile_head head;
	uint64_t            counter;
	char                rest[4000];
};

struct fixture {
	char dir[64];
	char path[96];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/test_shmfile.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/state", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
test_new_file(void **state)
{
	struct fixture *f = *state;
	struct layout *m = shmfile_map(f->path, sizeof *m, LAYOUT_MAGIC, LAYOUT_VERSION, "test");
	struct stat st;
	size_t i;

	assert_non_null(m);
	assert_int_equal(m->head.magic, LAYOUT_MAGIC);
	assert_int_equal(m->head.version, LAYOUT_VERSION);
	assert_int_equal(m->counter, 0);
	for (i = 0; i < sizeof m->rest; i++)
		assert_int_equal(m->rest[i], 0);
	assert_int_equal(stat(f->path, &st), 0);
	/* Sized for the layout, and private to the user: it steers every worker of the host. */
	assert_int_equal((size_t)st.st_size, sizeof *m);
	assert_int_equal(st.st_mode & 0777, 0600);
	shmfile_unmap(m, sizeof *m);
}

static void
test_two_mappings_share(void **state)
{
	struct fixture *f = *state;
	struct layout *a = shmfile_map(f->path, sizeof *a, LAYOUT_MAGIC, LAYOUT_VERSION, "test");
	struct layout *b = shmfile_map(f->path, sizeof *b, LAYOUT_MAGIC, LAYOUT_VERSION, "test");

	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	__atomic_add_fetch(&a->counter, 5, __ATOMIC_RELAXED);
	assert_int_equal(__atomic_load_n(&b->counter, __ATOMIC_RELAXED), 5);
	shmfile_unmap(a, sizeof *a);
	/* The state outlives a process: a later mapping sees it. */
	a = shmfile_map(f->path, sizeof *a, LAYOUT_MAGIC, LAYOUT_VERSION, "test");
	assert_non_null(a);
	assert_int_equal(a->counter, 5);
	shmfile_unmap(a, sizeof *a);
	shmfile_unmap(b, sizeof *b);
}

/* A file an older build made smaller is grown to the layout, its header kept; a larger one is
 * not cut (another process may map all of it). */
static void
test_sizes(void **state)
{
	struct fixture *f = *state;
	struct shmfile_head *h = shmfile_map(f->path, sizeof *h, LAYOUT_MAGIC, LAYOUT_VERSION, "test");
	struct layout *m;
	struct stat st;

	assert_non_null(h);
	shmfile_unmap(h, sizeof *h);
	m = shmfile_map(f->path, sizeof *m, LAYOUT_MAGIC, LAYOUT_VERSION, "test");
	assert_non_null(m);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal((size_t)st.st_size, sizeof *m);
	assert_int_equal(m->head.magic, LAYOUT_MAGIC);
	shmfile_unmap(m, sizeof *m);
	h = shmfile_map(f->path, sizeof *h, LAYOUT_MAGIC, LAYOUT_VERSION, "test");
	assert_non_null(h);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal((size_t)st.st_size, sizeof *m);
	shmfile_unmap(h, sizeof *h);
}

struct refuse_row {
	int      line;
	uint32_t magic, version;   /* in the file */
	bool     taken;            /* shmfile_map(LAYOUT_MAGIC, LAYOUT_VERSION) maps it */
};

static const struct refuse_row refuse_rows[] = {
	{ __LINE__, LAYOUT_MAGIC,       LAYOUT_VERSION,     true },
	/* A creator between its two stores (magic set, version not yet): the same layout. */
	{ __LINE__, LAYOUT_MAGIC,       0,           true },
	{ __LINE__, LAYOUT_MAGIC,       LAYOUT_VERSION + 1, false },
	{ __LINE__, LAYOUT_MAGIC,       LAYOUT_VERSION - 1, false },
	{ __LINE__, LAYOUT_MAGIC + 1,   LAYOUT_VERSION,     false },
	{ __LINE__, 0xffffffffu, 0,           false },
};

/* Writes a header of magic and version, then 'x' bytes, as the whole file at path. */
static void
write_file(const char *path, uint32_t magic, uint32_t version)
{
	struct layout l;
	FILE *fp = fopen(path, "wb");

	memset(&l, 'x', sizeof l);
	memset(&l.head, 0, sizeof l.head);
	l.head.magic = magic;
	l.head.version = version;
	assert_non_null(fp);
	assert_int_equal(fwrite(&l, sizeof l, 1, fp), 1);
	assert_int_equal(fclose(fp), 0);
}

static void
test_other_layouts_left_alone(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof refuse_rows / sizeof refuse_rows[0]; i++) {
		const struct refuse_row *r = &refuse_rows[i];
		struct layout *m, back;
		FILE *fp;
		bool mapped = true;

		write_file(f->path, r->magic, r->version);
		m = shmfile_map(f->path, sizeof *m, LAYOUT_MAGIC, LAYOUT_VERSION, "test");
		if ((m != NULL) != r->taken)
			fail_msg("line %d: shmfile_map = %p, want %s", r->line, (void *)m,
			    r->taken ? "a mapping" : "NULL");
		shmfile_unmap(m, sizeof *m);
		/* What is not ours is not written: header and bytes as they were. */
		fp = fopen(f->path, "rb");
		assert_non_null(fp);
		assert_int_equal(fread(&back, sizeof back, 1, fp), 1);
		fclose(fp);
		if (!r->taken && (back.head.magic != r->magic || back.head.version != r->version ||
		    back.counter != 0x7878787878787878ull))
			fail_msg("line %d: the file was written", r->line);
		/* shmfile_open then works from private, zeroed memory. */
		m = shmfile_open(f->path, sizeof *m, LAYOUT_MAGIC, LAYOUT_VERSION, "test", &mapped);
		assert_non_null(m);
		if (mapped != r->taken)
			fail_msg("line %d: mapped = %d", r->line, mapped);
		if (!mapped)
			assert_int_equal(m->counter, 0);
		shmfile_close(m, sizeof *m, mapped);
	}
}

static void
test_open_without_a_file(void **state)
{
	struct fixture *f = *state;
	const char *paths[] = { NULL, "", "/nonexistent-dir-of-starling/state", f->dir };
	size_t i;

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		bool mapped = true;
		struct layout *m = shmfile_open(paths[i], sizeof *m, LAYOUT_MAGIC, LAYOUT_VERSION,
		    "test", &mapped);

		assert_non_null(m);
		assert_false(mapped);
		/* Private memory is zeros with no header: the caller's state starts empty. */
		assert_int_equal(m->head.magic, 0);
		assert_int_equal(m->counter, 0);
		m->counter = 1;   /* writable */
		shmfile_close(m, sizeof *m, mapped);
	}
	/* shmfile_map itself refuses them (the directory cannot be opened for writing). */
	assert_null(shmfile_map("/nonexistent-dir-of-starling/state", 64, LAYOUT_MAGIC,
	    LAYOUT_VERSION, "test"));
	assert_null(shmfile_map(f->dir, 64, LAYOUT_MAGIC, LAYOUT_VERSION, "test"));
	shmfile_unmap(NULL, 64);   /* NULL is accepted */
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_new_file),
		T(test_two_mappings_share),
		T(test_sizes),
		T(test_other_layouts_left_alone),
		T(test_open_without_a_file),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
