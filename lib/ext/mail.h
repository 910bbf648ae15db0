/* mail.h: sending email (account activation and password-reset codes).
 *
 * A message goes out through one of two transports, chosen by [mail] transport:
 *   - sendmail: the message is piped to `sendmail_path -t -i` (fork and execv, never a shell); the
 *     local MTA reads the recipient from the To: header and queues the message.
 *   - spool: the message is written as one file into the maildir spool_dir (tmp/, then renamed into
 *     new/, so a reader never sees half a file): for tests, and for hosts where another program
 *     picks the files up.
 *
 * Messages are plain text in UTF-8 with RFC 5322 headers; a non-ASCII Subject (or From display
 * name) is sent as RFC 2047 encoded-words. Lines end in LF, not CRLF, for both transports: each
 * hands the message to local software that uses the Unix convention (sendmail(8) reads its input
 * in local line endings and converts to CRLF for SMTP itself, where CRLF given to it can come out
 * as stray CRs; maildir readers expect LF files).
 *
 * Bodies hold secret codes: nothing here ever logs a body. Failures are logged with log_error. */
#ifndef STARLING_MAIL_H
#define STARLING_MAIL_H

#include "buf.h"
#include "conf.h"

/* Bounds on what a caller may send. Starling's mails are a few lines written by its own code; the
 * limits only stop a bug from piping megabytes into the MTA. */
#define MAIL_SUBJECT_MAX 512         /* bytes */
#define MAIL_BODY_MAX    (1024 * 1024)

struct mail;

/* Checks the [mail] section of c at start-up and returns a sender; NULL with a message naming the
 * [mail] key in err (which may be NULL) when it is unusable:
 *   - transport is "sendmail" or "spool";
 *   - sendmail: sendmail_path is an absolute path to an executable regular file;
 *   - spool: spool_dir is an absolute path to an existing, writable directory; its tmp/, new/ and
 *     cur/ subdirectories (the maildir layout) are created when missing;
 *   - from is printable ASCII, or "display name <address>" with a UTF-8 display name, and its
 *     address has exactly one '@'.
 * c is only read: the sender keeps copies of what it needs. The caller frees with mail_free. */
struct mail *mail_new(const struct conf *c, struct buf *err);

/*
 * Sends one message (NUL-terminated strings, all borrowed: a NUL inside a value cannot be seen
 * here, so callers holding (bytes, length) input refuse it first, as valid_email does). to is one bare address (it must pass
 * valid_email); subject is UTF-8 text of at most MAIL_SUBJECT_MAX bytes on one line; body is
 * UTF-8 text of at most MAIL_BODY_MAX bytes, with lines ending in LF or CRLF. A control character
 * in to or subject (CR and LF above all: header injection) refuses the message.
 * The body goes out as 8bit, or as base64 when a line is longer than RFC 5322's 998 bytes.
 * Returns 0 once the MTA accepted the message (sendmail exited 0) or the file is in new/; -1 with
 * a message in err (which may be NULL; never the body) otherwise, and nothing was handed over
 * in a form a reader would take as a message. With sendmail, the call waits for it to exit
 * (it only queues the message: normally milliseconds); there is no timeout.
 */
int mail_send(struct mail *m, const char *to, const char *subject, const char *body,
    struct buf *err);

/* NULL is accepted. */
void mail_free(struct mail *m);

#endif
