/* media.c: starling-admin media-usage: the local storage's files and bytes by kind, and the
 * uploads waiting for the clean-up, shard by shard (docs/media.md, "Clean-up"). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "db.h"
#include "media.h"
#include "mediaclean.h"
#include "shard.h"
#include "xalloc.h"

#include "admin.h"

/* What the files are counted as. An image's served name, once processed, is a hard link to
 * its display size: a file with no bytes of its own, counted nowhere. */
enum use_class { USE_ORIGINAL, USE_SIZES, USE_VIDEO, USE_TEMP, USE_OTHER, USE__N };

struct usage {
	uint64_t files[USE__N], bytes[USE__N];
};

/* The walk's state: one usage per shard, and one more for files of no key's shard (a size
 * whose upload and original are both gone, a temporary file, a stranger's file). */
struct walk {
	const struct shard_map *map;
	unsigned                nshards;
	struct usage           *u;     /* nshards + 1 */
	bool                    ok;
};

/* The key's extension of a size's stem, found from the served name or the original beside it
 * (the size's own name does not say it): into ext, or "" when neither is there. */
static void
size_ext(int dfd, const char *stem, char ext[5])
{
	struct buf name = BUF_INIT;
	struct stat st;
	const char *e;
	size_t i;

	ext[0] = '\0';
	for (i = 0; (e = media_ext(MEDIA_IMAGE, i)) != NULL && ext[0] == '\0'; i++) {
		buf_reset(&name);
		buf_printf(&name, "%s.%s", stem, e);
		if (fstatat(dfd, buf_cstr(&name), &st, AT_SYMLINK_NOFOLLOW) != 0) {
			buf_reset(&name);
			buf_printf(&name, ".orig-%s.%s", stem, e);
			if (fstatat(dfd, buf_cstr(&name), &st, AT_SYMLINK_NOFOLLOW) != 0)
				continue;
		}
		snprintf(ext, 5, "%s", e);
	}
	buf_free(&name);
}

/* Counts one file of kind/day/ (dfd): its class, and the shard of its key. */
static void
count_file(struct walk *w, int dfd, enum media_kind kind, const char *day, const char *name)
{
	struct buf stem = BUF_INIT, key = BUF_INIT;
	enum media_file f;
	enum use_class c;
	struct stat st;
	unsigned s = w->nshards;
	char ext[5];

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
		goto out;
	f = media_file_kind(kind, name, &stem, ext);
	if (f == MEDIA_FILE_SIZE)
		size_ext(dfd, buf_cstr(&stem), ext);
	if (ext[0] != '\0') {
		buf_printf(&key, "%s/%s/%s.%s", kind == MEDIA_IMAGE ? "images" : "videos", day,
		    buf_cstr(&stem), ext);
		s = shard_for_key(w->map, key.data, key.len);
	}
	if (f == MEDIA_FILE_UPLOAD && kind == MEDIA_IMAGE && st.st_nlink > 1)
		goto out;   /* the served link of a processed image: its bytes are a size's */
	c = f == MEDIA_FILE_TEMP ? USE_TEMP : f == MEDIA_FILE_OTHER ? USE_OTHER :
	    kind == MEDIA_VIDEO ? USE_VIDEO : f == MEDIA_FILE_SIZE ? USE_SIZES : USE_ORIGINAL;
	w->u[s].files[c]++;
	w->u[s].bytes[c] += (uint64_t)st.st_size;
out:
	buf_free(&stem);
	buf_free(&key);
}

/* Counts every file of dir (kind/day). */
static void
walk_day(struct walk *w, const char *dir, enum media_kind kind, const char *day)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL) {
		admin_fail("media-usage: cannot read %s: %s", dir, strerror(errno));
		w->ok = false;
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			count_file(w, dirfd(d), kind, day, e->d_name);
	closedir(d);
}

/* Counts every day directory of local_dir/kind ("images", "videos"); none yet is fine. */
static void
walk_kind(struct walk *w, const char *local_dir, enum media_kind kind)
{
	struct buf dir = BUF_INIT, sub = BUF_INIT;
	struct dirent *e;
	DIR *d;

	buf_printf(&dir, "%s/%s", local_dir, kind == MEDIA_IMAGE ? "images" : "videos");
	if ((d = opendir(buf_cstr(&dir))) == NULL) {
		if (errno != ENOENT) {
			admin_fail("media-usage: cannot read %s: %s", buf_cstr(&dir), strerror(errno));
			w->ok = false;
		}
		goto out;
	}
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != 8 || strspn(e->d_name, "0123456789") != 8)
			continue;
		buf_reset(&sub);
		buf_printf(&sub, "%s/%s", buf_cstr(&dir), e->d_name);
		walk_day(w, buf_cstr(&sub), kind, e->d_name);
	}
	closedir(d);
out:
	buf_free(&dir);
	buf_free(&sub);
}

static void
usage_add(struct usage *to, const struct usage *u)
{
	size_t c;

	for (c = 0; c < USE__N; c++) {
		to->files[c] += u->files[c];
		to->bytes[c] += u->bytes[c];
	}
}

static void
counts_add(struct mediaclean_counts *to, const struct mediaclean_counts *c)
{
	size_t i;

	for (i = 0; i < sizeof c->by_state / sizeof c->by_state[0]; i++)
		to->by_state[i] += c->by_state[i];
	to->due += c->due;
	to->waiting += c->waiting;
}

/* One line: label, the files of u, the rows of c (NULL: "-", not read). */
static void
print_line(const char *label, const struct usage *u, const struct mediaclean_counts *c)
{
	printf("%-5s %9" PRIu64 " %13" PRIu64 " %9" PRIu64 " %13" PRIu64 " %9" PRIu64 " %13" PRIu64
	    " %6" PRIu64, label, u->files[USE_ORIGINAL], u->bytes[USE_ORIGINAL], u->files[USE_SIZES],
	    u->bytes[USE_SIZES], u->files[USE_VIDEO], u->bytes[USE_VIDEO],
	    u->files[USE_TEMP] + u->files[USE_OTHER]);
	if (c == NULL)
		printf(" %9s %6s %8s %6s\n", "-", "-", "-", "-");
	else
		printf(" %9" PRIu64 " %6" PRIu64 " %8" PRIu64 " %6" PRIu64 "\n",
		    c->by_state[1], c->by_state[4], c->waiting, c->due);
}

/* Files from a walk of [media] local_dir (by name: media.h's, attributed to their key's
 * shard), rows from each shard's tb_media. A shard whose instance is down is shown with "-"
 * for its rows, and the exit status is 1. */
int
cmd_media_usage(struct admin *a)
{
	const struct shard_map *m = db_shards(a->db);
	unsigned s, n = shard_count(m);
	struct walk w = { m, n, xcalloc(n + 1, sizeof *w.u), true };
	struct mediaclean_counts c, all;
	struct usage total;
	struct buf label = BUF_INIT;
	int64_t now = clock_now_s();
	bool up_all, *up = admin_instances_up(a, "their uploads are not counted", &up_all);
	char name[16];

	memset(&all, 0, sizeof all);
	memset(&total, 0, sizeof total);
	if (strcmp(a->conf.media_storage, "local") != 0 || a->conf.media_local_dir[0] == '\0')
		printf("media-usage: storage is not local (or [media] local_dir is not set): no "
		    "files here to count, and the clean-up does not run\n");
	else {
		walk_kind(&w, a->conf.media_local_dir, MEDIA_IMAGE);
		walk_kind(&w, a->conf.media_local_dir, MEDIA_VIDEO);
	}
	printf("%-5s %9s %13s %9s %13s %9s %13s %6s %9s %6s %8s %6s\n", "SHARD", "ORIGINALS",
	    "BYTES", "SIZES", "BYTES", "VIDEOS", "BYTES", "OTHER", "ATTACHED", "KEPT", "WAITING",
	    "DUE");
	for (s = 0; s < n; s++) {
		bool read = up[shard_instance(m, s)] &&
		    mediaclean_counts(a->db, s, now, a->conf.media_orphan_grace, &c) == 0;

		if (up[shard_instance(m, s)] && !read) {
			buf_reset(&label);
			admin_shard_label(a, s, &label);
			admin_fail("%s: cannot read tb_media (server error above; is 016_media "
			    "migrated?)", buf_cstr(&label));
		}
		up_all = up_all && read;
		snprintf(name, sizeof name, "%u", s);
		print_line(name, &w.u[s], read ? &c : NULL);
		usage_add(&total, &w.u[s]);
		if (read)
			counts_add(&all, &c);
	}
	print_line("none", &w.u[n], NULL);
	usage_add(&total, &w.u[n]);
	print_line("all", &total, &all);
	printf("media-usage: WAITING uploads are within [media] orphan_grace (%ld s); DUE ones are "
	    "removed by starling-worker's next clean-up%s\n", a->conf.media_orphan_grace,
	    up_all ? "" : " (shards not read are not counted)");
	free(up);
	free(w.u);
	buf_free(&label);
	return up_all && w.ok ? EXIT_DONE : EXIT_FAILED;
}
