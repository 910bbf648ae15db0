/* buf.h: growable byte buffers, the one way Starling builds text.
 *
 * A struct buf is usable once zeroed (BUF_INIT or buf_init). Its data is always NUL-terminated once
 * anything was appended, so buf_cstr() can be handed to C string functions; len never counts the
 * NUL. Embedded NUL bytes are allowed (len is the truth). */
#ifndef STARLING_BUF_H
#define STARLING_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char   *data;
	size_t  len;
	size_t  cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* Buffers larger than this are freed by buf_reset() rather than kept for the next request, so one
 * large request does not pin memory in a long-lived worker (lighttpd's request_reset does the same). */
#define BUF_KEEP_MAX (64 * 1024)

void buf_init(struct buf *b);
/* Makes room for at least extra more bytes (plus the NUL). */
void buf_grow(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
/* Appends s percent-encoded for a query value: every byte but RFC 3986's unreserved ones and
 * '/' becomes %XX. */
void buf_put_query_value(struct buf *b, const char *s);
/* The same with '/' encoded too (%2F): for a segment of a URL's path ("/hashtag/<tag>"), where
 * '/' would start another one, and for a query value that must come back exactly. */
void buf_put_url_component(struct buf *b, const char *s);
/* buf_printf and buf_vprintf accept a NULL b and then discard the text, so an optional error
 * output (struct buf *err, which callers may pass as NULL) needs no wrapper. */
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends the whole file at path ("-" means standard input) to b. Returns 0, or -1 with
 * "path: reason" appended to err (which may be NULL) when it cannot be read or holds more than max
 * bytes. */
int buf_read_file(struct buf *b, const char *path, size_t max, struct buf *err);
/* Empties the buffer; keeps its memory unless it grew past BUF_KEEP_MAX. */
void buf_reset(struct buf *b);
/* Releases the memory; the buffer is empty and reusable afterwards. NULL is accepted. */
void buf_free(struct buf *b);
/* The contents as a C string: borrowed, valid until the next change. Never NULL ("" when empty). */
const char *buf_cstr(const struct buf *b);
/* Hands the contents (NUL-terminated, never NULL) to the caller, who frees; the buffer is empty. */
char *buf_detach(struct buf *b);

#endif
