/*
 * tests/bench/hello.c: the platform's ceiling for tests/bench/routes.sh. A bare FastCGI
 * responder: the libfcgi accept loop and a small constant JSON body, nothing else (no
 * configuration, no cache, no database, no logging). Served by the same lighttpd, with the same
 * process count, as Starling's binaries, so every route's req/s can be quoted as a share of it.
 *
 * Not part of `make`: routes.sh builds it with
 *   gcc -O2 -o hello tests/bench/hello.c -lfcgi
 */
#include <fcgi_stdio.h>

int
main(void)
{
	while (FCGI_Accept() >= 0) {
		/* The same shape as Starling's envelope, so the byte counts are comparable. */
		printf("Status: 200 OK\r\n"
		       "Content-Type: application/json; charset=utf-8\r\n"
		       "\r\n"
		       "{\"code\":0,\"message\":\"ok\",\"data\":{\"hello\":\"world\"}}");
	}
	return 0;
}
