# tests/fuzz/fuzz.mk: builds the libFuzzer targets with clang. tests/fuzz/run.sh runs it as
#   make -f tests/fuzz/fuzz.mk SRCDIR=<source tree> BUILDDIR=<configured tree> OUT=<dir>
# The configured tree gives config.h; make check builds the same targets with the project's
# compiler and tests/fuzz/replay.c instead (Makefile.am), so this file knows only the clang side.

CC = clang
WARN = -Wall -Wextra -Wno-unused-parameter
TARGETS = conf json jwt linkmeta request text tmpl url utf8
# The lib modules the targets reach, and those they call (each as layer/name, its place under lib/):
# instrumented for coverage, so that libFuzzer sees which branches an input takes. A link error
# names a module missing here.
LIB = base/apierr base/buf base/conf ext/jwt base/kv base/linkmeta base/log http/request \
	http/request_form http/request_json http/request_multipart social/text http/tmpl \
	base/utf8 base/valid base/xalloc
LAYERS = base ext store http social app
PKGS = json-c libutf8proc libcrypto

# UBSan findings abort (no recovery), so libFuzzer stops on them and saves the input.
SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
ALL_CFLAGS = -g -O1 $(SAN) -fsanitize=fuzzer-no-link $(WARN) -I$(BUILDDIR) \
	$(LAYERS:%=-I$(SRCDIR)/lib/%) \
	-I$(SRCDIR)/tests/fuzz $(PKG_CFLAGS) -MMD -MP

all: $(TARGETS:%=$(OUT)/fuzz_%)

$(OUT)/lib/%.o: $(SRCDIR)/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUT)/obj/%.o: $(SRCDIR)/tests/fuzz/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUT)/fuzz_%: $(OUT)/obj/fuzz_%.o $(LIB:%=$(OUT)/lib/%.o)
	$(CC) $(SAN) -fsanitize=fuzzer $^ $(PKG_LIBS) -o $@

# The contract of request_parse, shared by the two targets that drive it.
$(OUT)/fuzz_request $(OUT)/fuzz_json: $(OUT)/obj/request_check.o

# Keep the targets' objects (make would delete them as intermediate files) for the next run.
.PRECIOUS: $(OUT)/obj/%.o
.PHONY: all
-include $(wildcard $(OUT)/lib/*/*.d $(OUT)/obj/*.d)
