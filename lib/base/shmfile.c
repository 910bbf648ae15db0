/* shmfile.c: files of fixed layout mapped shared by the processes of a host (shmfile.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "shmfile.h"
#include "xalloc.h"

static uint32_t
version_of(struct shmfile_head *h)
{
	return __atomic_load_n(&h->version, __ATOMIC_ACQUIRE);
}

void *
shmfile_map(const char *path, size_t size, uint32_t magic, uint32_t version, const char *what)
{
	struct shmfile_head *h = NULL;
	struct stat st;
	uint32_t zero = 0;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("%s: cannot open %s (%s); kept per process", what, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || ((size_t)st.st_size < size && ftruncate(fd, (off_t)size) != 0)) {
		log_warn("%s: cannot size %s (%s); kept per process", what, path, strerror(errno));
		goto out;
	}
	h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED) {
		log_warn("%s: cannot map %s (%s); kept per process", what, path, strerror(errno));
		h = NULL;
		goto out;
	}
	if (__atomic_compare_exchange_n(&h->magic, &zero, magic, false, __ATOMIC_ACQ_REL,
	    __ATOMIC_ACQUIRE))
		__atomic_store_n(&h->version, version, __ATOMIC_RELEASE);
	else if (zero != magic || (version_of(h) != version && version_of(h) != 0)) {
		/* A version of 0 is a creator between its two stores. */
		log_warn("%s: %s is not a file of this version; kept per process", what, path);
		munmap(h, size);
		h = NULL;
	}
out:
	close(fd);
	return h;
}

void
shmfile_unmap(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size);
}

void *
shmfile_open(const char *path, size_t size, uint32_t magic, uint32_t version, const char *what,
    bool *mapped)
{
	void *p = path != NULL && *path != '\0' ? shmfile_map(path, size, magic, version, what) :
	    NULL;

	*mapped = p != NULL;
	return p != NULL ? p : xcalloc(1, size);
}

void
shmfile_close(void *p, size_t size, bool mapped)
{
	if (mapped)
		shmfile_unmap(p, size);
	else
		free(p);
}
