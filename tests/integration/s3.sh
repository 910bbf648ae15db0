#!/bin/sh
# tests/integration/s3.sh: the media tests with S3-compatible storage (docs/media.md): the suite
# through lighttpd with [media] storage = s3 against s3rver, which it starts on a loopback port,
# running test_media_s3.py only. Skipped (77) when s3rver is not installed (script/bootstrap).
SRC=${STARLING_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
S3RVER=${STACK_S3RVER:-/usr/local/lib/starling-s3/node_modules/.bin/s3rver}
if [ ! -x "$S3RVER" ]; then
	echo "s3.sh: SKIP: s3rver is not installed at $S3RVER; run script/bootstrap"
	exit 77
fi
STARLING_MEDIA=s3 STARLING_ONLY=${STARLING_ONLY:-test_media_s3} \
	exec "$SRC/tests/integration/suite.sh" lighttpd
