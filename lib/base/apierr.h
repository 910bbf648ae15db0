/* apierr.h: the one table of error codes every route answers with.
 *
 * A code is the HTTP status times 100 plus a detail number, so the status always follows from the
 * code (apierr_status) and a client can branch on either. 0 is success. The table, with a default
 * message for each code, is in apierr.c and documented in docs/api.md; later features add rows, never
 * reuse a number. */
#ifndef STARLING_APIERR_H
#define STARLING_APIERR_H

#include <stddef.h>

enum apierr {
	APIERR_OK                 = 0,

	APIERR_BAD_REQUEST        = 40000, /* malformed request, generic */
	APIERR_BAD_ENCODING       = 40001, /* invalid percent-encoding */
	APIERR_BAD_UTF8           = 40002, /* text that is not valid UTF-8 */
	APIERR_BAD_JSON           = 40003, /* malformed JSON body, or not a JSON object */
	APIERR_INVALID_PARAM      = 40004, /* a parameter failed its type or range check */
	APIERR_MISSING_PARAM      = 40005, /* a required parameter is absent */
	APIERR_BAD_CODE           = 40006, /* an activation or reset code that is wrong, used or expired */
	APIERR_TEXT_TOO_LONG      = 40010, /* a post's text is over [posts] max_chars characters */
	APIERR_TEXT_EMPTY         = 40011, /* a post with neither text nor media */
	APIERR_MEDIA_FORGED       = 40012, /* a media URL this server did not issue to this user */
	APIERR_MEDIA_MISSING      = 40013, /* a media URL whose file was never uploaded */
	APIERR_MEDIA_TYPE         = 40014, /* uploaded bytes that are not what the extension says */
	APIERR_UPLOAD_EXPIRED     = 40015, /* an upload URL that is expired or wrongly signed */
	APIERR_UNAUTHORIZED       = 40100, /* login required, or the token is invalid */
	APIERR_FORBIDDEN          = 40300,
	APIERR_CSRF               = 40301, /* form without a valid CSRF token */
	APIERR_NOT_ACTIVATED      = 40302, /* the account's email is not confirmed yet */
	APIERR_SUSPENDED          = 40303, /* the account is suspended */
	APIERR_REPLY_RESTRICTED   = 40304, /* the post's reply settings do not let this user reply */
	APIERR_NOT_OWNER          = 40305, /* deleting or pinning someone else's post */
	APIERR_NOT_FOUND          = 40400,
	APIERR_METHOD_NOT_ALLOWED = 40500,
	APIERR_CONFLICT           = 40900,
	APIERR_USERNAME_TAKEN     = 40901,
	APIERR_EMAIL_TAKEN        = 40902,
	APIERR_UPLOAD_EXISTS      = 40903, /* an upload URL used a second time */
	APIERR_TOO_LARGE          = 41300, /* body over the configured limit */
	APIERR_URI_TOO_LONG       = 41400,
	APIERR_UNSUPPORTED_MEDIA  = 41500, /* body content type the route does not take */
	APIERR_IDEMPOTENCY_REUSED = 42200, /* an Idempotency-Key already used for another request */
	APIERR_RATE_LIMITED       = 42900, /* too many attempts: Retry-After says when to try again */
	APIERR_HEADERS_TOO_LARGE  = 43100,
	APIERR_INTERNAL           = 50000,
	APIERR_UNAVAILABLE        = 50300, /* database or cache unreachable */
	APIERR_OVERLOADED         = 50301, /* shed: waited too long for a free process */
	APIERR_PAUSED             = 50310, /* a feature paused by the operators (switches.h) */
	APIERR_READ_ONLY          = 50311, /* the site is read-only for a while (read_only) */
	APIERR_SHED               = 50312, /* a visitor not logged in turned away (anon_shed) */
};

/* The HTTP status for code: code / 100 for table codes, 200 for APIERR_OK, 500 for unknown codes. */
int apierr_status(int code);
/* The default message for code (static); "internal error" for unknown codes. */
const char *apierr_message(int code);
/* The i-th code of the table (0 is APIERR_OK), or -1 past its end: for tests that check each
 * code against its documentation and translations. */
int apierr_nth(size_t i);
/* The reason phrase for an HTTP status ("Not Found"); static. */
const char *apierr_reason(int status);

#endif
