/* shmfile.h: a small file of fixed layout mapped shared by every process of the host: the state
 * that one process learns and all should use (circuit breakers, lib/store/breaker.h), and counters
 * that all add to (lib/base/metrics.h).
 *
 * The file begins with struct shmfile_head. A new file is zeros, sized by the first process to
 * open it; its header is written by the first process to see it zero (compare-and-swap on the
 * magic), so no lock is ever held by a process that may die. A file of another magic or layout
 * version (an older release still running, or not ours) is left alone: the caller then keeps its
 * state in private memory. Every field after the header must be read and written with atomic
 * operations. */
#ifndef STARLING_SHMFILE_H
#define STARLING_SHMFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shmfile_head {
	uint32_t magic, version;
	uint32_t spare[2];
};

/* Maps path (created mode 0600 when missing) shared, size bytes (at least the header), and
 * returns it; or NULL, logged with what ("breaker", "metrics") and what follows, when it cannot be
 * opened, sized or mapped, or holds another magic or version. Unmap with shmfile_unmap. */
void *shmfile_map(const char *path, size_t size, uint32_t magic, uint32_t version,
    const char *what);
void shmfile_unmap(void *p, size_t size);

/* shmfile_map of path when it is set (not NULL or empty) and can be used, else size bytes of
 * zeroed private memory: never NULL. *mapped says which; free with shmfile_close. */
void *shmfile_open(const char *path, size_t size, uint32_t magic, uint32_t version,
    const char *what, bool *mapped);
void shmfile_close(void *p, size_t size, bool mapped);

#endif
