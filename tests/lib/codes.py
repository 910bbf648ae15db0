"""codes.py: the API's error codes by name, as lib/base/apierr.h declares them (APIERR_ dropped), so
that a test reads `check_envelope(r, 400, INVALID_PARAM)` rather than a bare 40004.

A code is the HTTP status times 100 plus a detail number (lib/base/apierr.h). Written by hand from the
enum, and held to it by tests/tools/codes.sh in `make check`: every name here must be in the enum
with the same number and in lib/base/apierr.c's table, and every enum name here, so a code added or
renumbered in C fails the suite until this file follows.
"""

OK = 0
BAD_REQUEST = 40000
BAD_ENCODING = 40001
BAD_UTF8 = 40002
BAD_JSON = 40003
INVALID_PARAM = 40004
MISSING_PARAM = 40005
BAD_CODE = 40006
TEXT_TOO_LONG = 40010
TEXT_EMPTY = 40011
MEDIA_FORGED = 40012
MEDIA_MISSING = 40013
MEDIA_TYPE = 40014
UPLOAD_EXPIRED = 40015
UNAUTHORIZED = 40100
FORBIDDEN = 40300
CSRF = 40301
NOT_ACTIVATED = 40302
SUSPENDED = 40303
REPLY_RESTRICTED = 40304
NOT_OWNER = 40305
NOT_FOUND = 40400
METHOD_NOT_ALLOWED = 40500
CONFLICT = 40900
USERNAME_TAKEN = 40901
EMAIL_TAKEN = 40902
UPLOAD_EXISTS = 40903
TOO_LARGE = 41300
URI_TOO_LONG = 41400
UNSUPPORTED_MEDIA = 41500
IDEMPOTENCY_REUSED = 42200
RATE_LIMITED = 42900
HEADERS_TOO_LARGE = 43100
INTERNAL = 50000
UNAVAILABLE = 50300
OVERLOADED = 50301
PAUSED = 50310
READ_ONLY = 50311
SHED = 50312
