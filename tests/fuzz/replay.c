/* replay.c: runs a fuzz target over saved inputs without libFuzzer, for make check.
 *
 *   replay_<name>                 every file of $STARLING_SRCDIR/tests/fuzz/corpus/<name>/
 *   replay_<name> FILE|DIR...     those files, and the files of those directories
 *
 * So the corpus (seeds and whatever a fuzz run found worth keeping) runs on every make check,
 * under the sanitizers when the build has them, with any compiler; and a crash file from
 * tests/fuzz/run.sh reproduces with a plain build and a debugger. Each input is handed over in a
 * buffer of exactly its size, as libFuzzer does, so a read past its end is caught by ASan.
 * Exits 0 when every input ran, 1 when none was found or one could not be read; a finding
 * aborts. FUZZ_TARGET (the target's name) is set by Makefile.am. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "fuzz.h"
#include "xalloc.h"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name the target (Makefile.am sets it)"
#endif

/* libFuzzer's inputs are at most a few kilobytes (its -max_len); a saved file far larger is a
 * mistake, not an input. */
#define INPUT_MAX (1024 * 1024)

/* Feeds one file to the target. Returns 0, or -1 when it cannot be read. */
static int
run_file(const char *path)
{
	struct buf text = BUF_INIT, err = BUF_INIT;
	uint8_t *exact;
	int rc = -1;

	if (buf_read_file(&text, path, INPUT_MAX, &err) != 0) {
		fprintf(stderr, "replay: %s\n", buf_cstr(&err));
		goto out;
	}
	printf("replay: %s (%zu bytes)\n", path, text.len);
	fflush(stdout);
	exact = xmalloc(text.len > 0 ? text.len : 1);
	if (text.len > 0)
		memcpy(exact, text.data, text.len);
	(void)LLVMFuzzerTestOneInput(exact, text.len);
	free(exact);
	rc = 0;
out:
	buf_free(&text);
	buf_free(&err);
	return rc;
}

/* Hidden files (an editor's, .gitkeep) are no inputs. */
static int
visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Feeds every regular file of dir, in name order so that a run is the same everywhere. Adds
 * the number fed to *count. Returns 0, or -1 when the directory or a file cannot be read. */
static int
run_dir(const char *dir, size_t *count)
{
	struct dirent **names = NULL;
	struct buf path = BUF_INIT;
	struct stat st;
	int n, i, rc = 0;

	n = scandir(dir, &names, visible, alphasort);
	if (n < 0) {
		perror(dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%s", dir, names[i]->d_name);
		if (stat(buf_cstr(&path), &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(buf_cstr(&path)) != 0)
				rc = -1;
			else
				(*count)++;
		}
		free(names[i]);
	}
	free(names);
	buf_free(&path);
	return rc;
}

static int
run_arg(const char *arg, size_t *count)
{
	struct stat st;

	if (stat(arg, &st) != 0) {
		perror(arg);
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return run_dir(arg, count);
	if (run_file(arg) != 0)
		return -1;
	(*count)++;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *srcdir = getenv("STARLING_SRCDIR");
	struct buf corpus = BUF_INIT;
	size_t count = 0;
	int i, rc = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (run_arg(argv[i], &count) != 0)
				rc = 1;
	} else {
		buf_printf(&corpus, "%s/tests/fuzz/corpus/%s", srcdir && *srcdir ? srcdir : ".",
		    FUZZ_TARGET);
		if (run_dir(buf_cstr(&corpus), &count) != 0)
			rc = 1;
	}
	/* An empty corpus would pass while testing nothing (a file list left out of the tarball). */
	if (count == 0) {
		fprintf(stderr, "replay: no inputs for %s\n", FUZZ_TARGET);
		rc = 1;
	}
	printf("replay: %s: %zu inputs\n", FUZZ_TARGET, count);
	buf_free(&corpus);
	return rc;
}
