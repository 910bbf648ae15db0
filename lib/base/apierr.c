/* apierr.c: the error code table (see apierr.h and docs/api.md). */
#include "config.h"

#include <stddef.h>

#include "apierr.h"

static const struct {
	int         code;
	const char *message;
} table[] = {
	{ APIERR_OK,                 "ok" },
	{ APIERR_BAD_REQUEST,        "the request is malformed" },
	{ APIERR_BAD_ENCODING,       "invalid percent-encoding in the request" },
	{ APIERR_BAD_UTF8,           "the request contains text that is not valid UTF-8" },
	{ APIERR_BAD_JSON,           "the request body is not a valid JSON object" },
	{ APIERR_INVALID_PARAM,      "a parameter has an invalid value" },
	{ APIERR_MISSING_PARAM,      "a required parameter is missing" },
	{ APIERR_BAD_CODE,           "the code is wrong, already used or expired" },
	{ APIERR_TEXT_TOO_LONG,      "the text is too long" },
	{ APIERR_TEXT_EMPTY,         "write something or attach an image or a video" },
	{ APIERR_MEDIA_FORGED,       "that media URL was not issued by this server for you" },
	{ APIERR_MEDIA_MISSING,      "that media file was never uploaded" },
	{ APIERR_MEDIA_TYPE,         "the file is not of the type its extension says" },
	{ APIERR_UPLOAD_EXPIRED,     "the upload URL has expired or is not valid" },
	{ APIERR_UNAUTHORIZED,       "login required" },
	{ APIERR_FORBIDDEN,          "forbidden" },
	{ APIERR_CSRF,               "missing or invalid CSRF token; reload the page and try again" },
	{ APIERR_NOT_ACTIVATED,      "confirm your email address first (see the activation email)" },
	{ APIERR_SUSPENDED,          "this account is suspended" },
	{ APIERR_REPLY_RESTRICTED,   "the author limited who can reply to this post" },
	{ APIERR_NOT_OWNER,          "that is not your post" },
	{ APIERR_NOT_FOUND,          "not found" },
	{ APIERR_METHOD_NOT_ALLOWED, "method not allowed" },
	{ APIERR_CONFLICT,           "conflict" },
	{ APIERR_USERNAME_TAKEN,     "that username is taken" },
	{ APIERR_EMAIL_TAKEN,        "that email address is already registered" },
	{ APIERR_UPLOAD_EXISTS,      "this upload URL has been used already; ask for a new one" },
	{ APIERR_TOO_LARGE,          "the request body is too large" },
	{ APIERR_URI_TOO_LONG,       "the request URI is too long" },
	{ APIERR_UNSUPPORTED_MEDIA,  "unsupported content type" },
	{ APIERR_IDEMPOTENCY_REUSED, "this Idempotency-Key was used for a different request" },
	{ APIERR_RATE_LIMITED,       "too many attempts; try again later" },
	{ APIERR_HEADERS_TOO_LARGE,  "the request headers are too large" },
	{ APIERR_INTERNAL,           "internal error" },
	{ APIERR_UNAVAILABLE,        "service temporarily unavailable" },
	{ APIERR_OVERLOADED,         "the site is busy; try again in a moment" },
	{ APIERR_PAUSED,             "this feature is paused by the operators for a while; try again later" },
	{ APIERR_READ_ONLY,          "the site is read-only for a while; reading still works" },
	{ APIERR_SHED,               "the site is very busy and turns some visitors away for a while; log in, or try again later" },
};

static const struct {
	int         status;
	const char *reason;
} reasons[] = {
	{ 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
	{ 301, "Moved Permanently" }, { 302, "Found" }, { 303, "See Other" }, { 304, "Not Modified" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 409, "Conflict" }, { 413, "Content Too Large" },
	{ 422, "Unprocessable Content" },
	{ 414, "URI Too Long" }, { 415, "Unsupported Media Type" }, { 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 503, "Service Unavailable" },
};

int
apierr_status(int code)
{
	size_t i;

	if (code == APIERR_OK)
		return 200;
	for (i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].code == code)
			return code / 100;
	return 500;
}

int
apierr_nth(size_t i)
{
	return i < sizeof table / sizeof table[0] ? table[i].code : -1;
}

const char *
apierr_message(int code)
{
	size_t i;

	for (i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].code == code)
			return table[i].message;
	return "internal error";
}

const char *
apierr_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	/* Only statuses from the table are ever sent; anything else is a bug, answered as such. */
	return "Unknown";
}
