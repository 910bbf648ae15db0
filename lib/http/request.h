/* request.h: one HTTP request as the CGI/FastCGI environment and body describe it.
 *
 * request_parse() is the only place raw request bytes are interpreted. It checks everything that
 * does not depend on the route: sizes, percent-encoding, UTF-8, the body's content type and its
 * syntax. What a route accepts (which fields, of which types) is checked afterwards by route.c.
 * Nothing here touches the FastCGI library, so the parser is unit-tested on plain strings. */
#ifndef STARLING_REQUEST_H
#define STARLING_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "buf.h"
#include "kv.h"

enum http_method {
	HTTP_OTHER = 0,
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_DELETE,
	HTTP_PATCH,
	HTTP_OPTIONS,
};

/* What a route takes as its body; the route's flags choose (ROUTE_RAW, ROUTE_UPLOAD). */
enum request_body {
	REQUEST_BODY_FIELDS = 0, /* application/json or x-www-form-urlencoded; any other type: 415 */
	REQUEST_BODY_UPLOAD,     /* those, or multipart/form-data (RFC 7578) with files */
	REQUEST_BODY_RAW,        /* not parsed: any content type (its parameters unchecked) */
};

/* Upper bounds on what a request may carry. Every limit exists so a hostile client cannot make a
 * worker spend unbounded memory or time; the values come from the [http] section of the config. */
struct request_limits {
	size_t max_body;       /* body bytes (413 beyond) */
	size_t max_uri;        /* REQUEST_URI bytes, query included (414 beyond) */
	size_t max_fields;     /* query or form fields, each; members of a JSON body (400 beyond) */
	size_t max_header;     /* bytes of any single header value, cookies included (431 beyond) */
	int    max_json_depth; /* nesting of a JSON body (400 beyond): every value on the way down
	                        * counts, the top object being 1, so {"a":1} is 2 deep and
	                        * {"a":{"b":[1]}} 4 (json-c's own measure); values below 1 act as 1 */
	enum request_body body; /* which bodies are taken (the parts of a multipart body count as
	                         * fields against max_fields; each part's headers against
	                         * max_header) */
};

/* A file part of a multipart/form-data body. */
struct request_file {
	char       *name;          /* the form field's name: valid UTF-8, not empty */
	char       *filename;      /* as sent (valid UTF-8, may be ""): for logs, never a path */
	char       *content_type;  /* media type, lowercased, no parameters; "" when not sent */
	const char *data;          /* the bytes, borrowed from the body (see struct request) */
	size_t      len;
};

/* After request_init() and request_reset() every string member is NULL. After request_parse(),
 * whatever it returned, every one is a string the request owns, "" when absent. */

struct request {
	enum http_method method;
	char         *method_name;   /* as sent, for logs ("GET") */
	char         *path;          /* percent-decoded path without the query: valid UTF-8, no NUL */
	char         *query;         /* raw query string, "" if none */
	char         *content_type;  /* media type of the body, lowercased, no parameters; "" if none */
	char         *remote_addr;   /* "" if unknown */
	char         *host;          /* Host header, "" if none */
	bool          https;         /* HTTPS=on (or "1", any case) from the web server */
	struct kvlist headers;       /* HTTP_* variables as lowercased names: "user-agent", "accept";
	                              * and CONTENT_TYPE/CONTENT_LENGTH as "content-type" and
	                              * "content-length" (HTTP_CONTENT_* are ignored, and these two
	                              * count as absent when empty, as nginx sends them) */
	struct kvlist cookies;       /* Cookie header, split; values as sent (not decoded), names
	                              * case-sensitive as browsers treat them */
	struct kvlist query_fields;  /* decoded query string fields, in order */
	struct kvlist body_fields;   /* decoded form fields; for a JSON body its top-level scalars */
	json_object  *json;          /* a JSON body (always an object), or NULL; owned by the request */
	const char   *body;          /* the body as given to request_parse (NULL when empty): borrowed,
	                              * valid as long as the caller's body; a ROUTE_RAW handler's input */
	size_t        body_len;
	struct request_file *files;  /* the file parts of a multipart body, in order; names unique */
	size_t        nfiles;
	size_t        files_cap;
};

void request_init(struct request *r);
/* Frees everything the request holds and leaves it as request_init() did, ready for the next one. */
void request_reset(struct request *r);
void request_free(struct request *r);

/*
 * Fills r from CGI environment variables and the body.
 *   envp: NULL-terminated array of "NAME=value" strings (environ, or FCGX_Request.envp).
 *   body, body_len: the raw body as read (body may be NULL when body_len is 0, or when body_len
 *   is over max_body: a body that large is not read, and the answer is APIERR_TOO_LARGE). It
 *   need not end with a NUL, nor may it be taken to: only body[0 .. body_len) is ever read,
 *   whatever the content type, and a NUL inside it is data (refused where text is expected).
 * r is reset first, so a request never inherits anything from the one before.
 * The path comes from REQUEST_URI (the part before '?', percent-decoded, '+' kept), or
 * SCRIPT_NAME + PATH_INFO without it (which the server has decoded already, so they are not decoded
 * again). It must start with '/'.
 * A body is parsed by its Content-Type: application/x-www-form-urlencoded into body_fields;
 * application/json (which must hold an object) into json, with its top-level strings, numbers and
 * booleans ("1"/"0") copied into body_fields as strings (nested values and null stay only in json).
 * With lim->body REQUEST_BODY_UPLOAD, multipart/form-data too: its text parts become body_fields
 * exactly as form fields do (valid UTF-8, no NUL), its file parts (those with a filename
 * parameter, even "") become files. Strictly: a boundary parameter of 1 to 70 characters
 * (RFC 2046 5.1.1), the body starting with the first delimiter and ending with the closing one
 * (an epilogue after CR LF is ignored), CR LF line ends only, each part with a
 * Content-Disposition of form-data with a non-empty name, no name twice, at most max_fields
 * parts and 8 headers per part. With REQUEST_BODY_RAW the body is left as it is, whatever its
 * type. In every mode body and body_len are set.
 * A charset parameter other than utf-8 (any case) is refused. A body with no content type is
 * refused (but with REQUEST_BODY_RAW); an empty body is accepted whatever its type. CONTENT_LENGTH, when set and not empty,
 * must be plain decimal digits equal to body_len. A JSON object naming a member twice, at any
 * depth ("a" and "\u0061" are one name), is refused, as a parameter given twice is in a query or
 * a form (route.h): json-c would keep the last without a word.
 * Returns APIERR_OK (0), or an apierr code with a message in err saying what was wrong:
 *   APIERR_BAD_ENCODING  bad percent-encoding, or a NUL byte after decoding (a JSON string
 *                        holding \u0000 included)
 *   APIERR_BAD_UTF8      path, field name or value, or JSON text that is not valid UTF-8
 *   APIERR_BAD_JSON      malformed JSON, not an object, nested beyond max_json_depth,
 *                        holding NaN, Infinity or a number too large for a double, or an
 *                        object with a member name twice (the message names it)
 *   APIERR_BAD_REQUEST   too many fields; CONTENT_LENGTH not a number or not matching the body;
 *                        a path that does not start with '/'; a malformed multipart body
 *   APIERR_TOO_LARGE     body over max_body
 *   APIERR_URI_TOO_LONG  REQUEST_URI over max_uri
 *   APIERR_HEADERS_TOO_LARGE a header over max_header
 *   APIERR_UNSUPPORTED_MEDIA a body of any other content type
 * After an error r holds whatever was parsed before it; request_reset() still frees it all.
 * The limits are checked first (414, 431, 413), then path, query, Content-Length, content type,
 * body, and the first problem found is the one reported. err may be NULL; otherwise it is emptied
 * on entry and, on error, holds one message for the client, quoting at most about 64 bytes of the
 * offending input (escaped, so it is valid UTF-8 without control characters).
 */
int request_parse(struct request *r, char *const *envp, const char *body, size_t body_len,
    const struct request_limits *lim, struct buf *err);

/* Whether rc is one of the codes request_parse is documented to return (above): the tests and
 * fuzz targets hold the parser to its list with this. */
bool request_parse_code_known(int rc);

/* Decodes n bytes of percent-encoded text into out (appending); with plus_is_space, '+' is a space
 * (form encoding). Returns 0, or -1 for a '%' not followed by two hex digits or a NUL byte
 * (encoded or raw); out then holds the part decoded before it. */
int request_urldecode(const char *s, size_t n, bool plus_is_space, struct buf *out);

/* Splits application/x-www-form-urlencoded text into out. Empty pieces ("a=1&&b=2") are skipped;
 * a field without '=' has an empty value, one with an empty name ("=x") is skipped and not counted.
 * Returns an apierr code as request_parse does; err as there. */
int request_parse_urlencoded(const char *s, size_t n, size_t max_fields, struct kvlist *out,
    struct buf *err);

/* Splits a Cookie header ("a=1; b=2") into out. Malformed pieces are skipped, never an error:
 * a browser may hold cookies of other applications on the same host. */
void request_parse_cookies(const char *header, struct kvlist *out);

/* The method for a name ("GET" → HTTP_GET; case-sensitive, as in HTTP); HTTP_OTHER for anything
 * unknown or NULL. request_method_name gives "OTHER" for HTTP_OTHER. */
enum http_method request_method_parse(const char *name);
const char *request_method_name(enum http_method m);

/* The value of the first envp entry called name ("REQUEST_URI"), or NULL: the first wins, as with
 * getenv(). Borrowed from envp. */
const char *request_env(char *const *envp, const char *name);

/* The path request_parse would give r->path for envp, into path (appended): for routing before
 * the body is read (its size limit depends on the route). Returns false when the path is
 * malformed (request_parse will say how). */
bool request_env_path(char *const *envp, struct buf *path);

/* The file part of a multipart body sent as field name, or NULL. Borrowed from the request. */
const struct request_file *request_file(const struct request *r, const char *name);

/* The first value of a request header by lowercased name ("accept-language"; any case matches),
 * or NULL. request_cookie: the first cookie of that exact name, or NULL. Both borrowed, valid
 * until the request is reset. */
const char *request_header(const struct request *r, const char *name);
const char *request_cookie(const struct request *r, const char *name);

#endif
