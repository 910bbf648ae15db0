/* memcached.h: private memcached servers for the unit tests that need one (test_cache,
 * test_ratelimit): started on a free loopback port, killed, hung and resumed. Static inline
 * functions, so a test uses only those it needs. */
#ifndef STARLING_TEST_MEMCACHED_H
#define STARLING_TEST_MEMCACHED_H

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct server {
	pid_t pid;
	int   port;
	char  addr[32];   /* "127.0.0.1:port" */
};

static inline int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static inline void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		continue;
}

/* Starts a private memcached on s->port and waits until it takes connections. Plain connects:
 * a failed cache request would take the node out for a while. */
static inline int
server_start(struct server *s)
{
	char port[16];
	int i;

	snprintf(port, sizeof port, "%d", s->port);
	snprintf(s->addr, sizeof s->addr, "127.0.0.1:%d", s->port);
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		execlp("memcached", "memcached", "-l", "127.0.0.1", "-p", port, "-U", "0", "-u", "root",
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		struct sockaddr_in a;
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		memset(&a, 0, sizeof a);
		a.sin_family = AF_INET;
		a.sin_port = htons((unsigned short)s->port);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
		close(fd);
		if (ok)
			return 0;
		sleep_ms(20);
	}
	return -1;
}

static inline void
server_kill(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

/* Hangs s (SIGSTOP: it keeps its memory and its listening socket, whose backlog still completes
 * connects, but answers nothing), waiting until it has stopped: kill() alone returns before. */
static inline void
server_stop(struct server *s)
{
	int st;

	kill(s->pid, SIGSTOP);
	waitpid(s->pid, &st, WUNTRACED);
}

static inline void
server_cont(struct server *s)
{
	int st;

	kill(s->pid, SIGCONT);
	waitpid(s->pid, &st, WCONTINUED);
}

#endif
