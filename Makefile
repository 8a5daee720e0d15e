# certhall — build, run and test.
#
#   make deps    install the Debian packages the project needs (idempotent)
#   make         build the nginx module and the back-office CGI into build/
#   make run     everything above, then a local hall under var/ (see README)
#   make stop    stop what `make run` started
#   make test    deps, build, then every test; ends with "N passed, N failed"
#   make migrate apply pending migrations to the `make run` database
#   make bench   the module against pgbench on the same statements, uploads
#                against stock nginx + sha256 + decoding, Alipay's RSA2
#                signing and verification (figures only)
#   make fuzz    every fuzz target for FUZZ_SECONDS (60) each, not only the
#                short runs of make test
#   make valgrind the nginx suites under valgrind, every one (make test runs
#                all but the four costliest: t/bin/run-tests)
#   make faults  the fault suite (t/faults: a hall under a mixed load while
#                something breaks) in its full form; make test runs its
#                short form
#   make soak    a hall under mixed load for SOAK_MINUTES (10), its nginx's
#                RSS and open files sampled, then SOAK_VALGRIND_MINUTES (2)
#                under valgrind (bench/soak.pl; not in CI)

SHELL       := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

NGINX_SRC   ?= /usr/share/nginx/src
BUILD       := build
MODULE      := ngx_http_certhall_module
MODULE_SO   := $(BUILD)/$(MODULE).so
ADMIN_CGI   := $(BUILD)/certhall-admin

CC          ?= cc
CFLAGS      ?= -O2 -g
WARN        := -Wall -Wextra -Werror -Wpointer-arith -Wshadow -Wstrict-prototypes
PG_INC      := $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
CPPFLAGS    += -D_GNU_SOURCE -Ilib -I$(PG_INC) $(XML_CFLAGS) $(OPJ_CFLAGS)

# Pure logic: no nginx headers, shared by the module, the back office, the
# unit tests and the fuzz targets.
LIB_SRCS    := $(wildcard lib/*.c)
LIB_HDRS    := $(wildcard lib/*.h)
# what lib/ links with: OpenSSL's libcrypto (hashes, HMAC, PBKDF2, random);
# libjpeg-turbo, libpng and zlib (checking uploaded scans), OpenJPEG (the
# JPEG 2000 images inside PDFs, lib/ch_pdf_jpx.c); libxml2 (the e-invoice
# request and answer, lib/ch_einvoice_xml.c)
XML_CFLAGS  := $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
XML_LIBS    := $(shell pkg-config --libs libxml-2.0 2>/dev/null || echo -lxml2)
OPJ_CFLAGS  := $(shell pkg-config --cflags libopenjp2 2>/dev/null || echo -I/usr/include/openjpeg-2.5)
LIB_LIBS    := -lcrypto -ljpeg -lpng16 -lz -lopenjp2 $(XML_LIBS)

MODULE_SRCS := $(wildcard ngx_module/*.c ngx_module/*.h) $(LIB_SRCS) $(LIB_HDRS)

ADMIN_SRCS  := $(wildcard admin/*.c)
ADMIN_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(ADMIN_SRCS) $(LIB_SRCS))

# lib/ is compiled once for each way the tests build it (under ASan/UBSan;
# for libFuzzer), not again for every test and fuzz target that links it
SAN_LIB_OBJS  := $(patsubst lib/%.c,$(BUILD)/san/lib/%.o,$(LIB_SRCS))
FUZZ_LIB_OBJS := $(patsubst lib/%.c,$(BUILD)/fuzz/lib/%.o,$(LIB_SRCS))

# Unit tests run under AddressSanitizer and UBSan.
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_SRCS   := $(wildcard t/unit/test_*.c)
UNIT_BINS   := $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

FUZZ_SRCS   := $(wildcard t/fuzz/fuzz_*.c)
FUZZ_BINS   := $(patsubst t/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

# the website's field rules, printed from lib/ (tools/field-rules.c); the
# file is committed, so that a fresh clone serves it before any build, and
# make prints it again whenever the C changes (t/tools/field-rules.t fails
# when the committed one is not what the C says)
FIELD_RULES_JS := www/js/field-rules.js
LIB_OBJS    := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))

.PHONY: all deps module admin unit fuzz-build fuzz tools run stop test test-stress browser bench soak migrate clean faults valgrind

# the demo orders' files and sealed ID numbers are made at `make run` with
# build/bin/mkscan and build/bin/demo-files (scripts/run.sh)
DEMO_BINS   := $(BUILD)/bin/mkscan $(BUILD)/bin/demo-files

all: module admin $(FIELD_RULES_JS) $(DEMO_BINS)

deps:
	@scripts/deps.sh

module: $(MODULE_SO)
admin: $(ADMIN_CGI)

# nginx's configure runs once per change of the addon file; nginx's own
# objs/Makefile then tracks the sources (ngx_module_deps) itself.
$(BUILD)/nginx/objs/Makefile: config
	@rm -rf $(BUILD)/nginx
	@mkdir -p $(BUILD)
	cp -a $(NGINX_SRC) $(BUILD)/nginx
	cd $(BUILD)/nginx && . ./conf_flags \
	    && ./configure "$${NGX_CONF_FLAGS[@]}" \
	       --add-dynamic-module=$(CURDIR) > ../configure.log 2>&1 \
	    || { tail -20 ../configure.log; exit 1; }

$(MODULE_SO): $(BUILD)/nginx/objs/Makefile $(MODULE_SRCS)
	$(MAKE) -s -C $(BUILD)/nginx -f objs/Makefile modules
	@# a new file, not the old one overwritten: a running nginx has the old
	@# one mapped, and writing into it under nginx's feet crashes nginx
	cp $(BUILD)/nginx/objs/$(MODULE).so $@.tmp
	mv -f $@.tmp $@

$(BUILD)/%.o: %.c $(LIB_HDRS) $(wildcard admin/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

$(ADMIN_CGI): $(ADMIN_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ -lpq $(LIB_LIBS) -lcurl

$(BUILD)/bin/field-rules: $(BUILD)/tools/field-rules.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LIB_LIBS)

# the demo orders' 基本信息 and materials as the module would store them
# (tools/demo-files.c): scripts/run.sh
$(BUILD)/bin/demo-files: $(BUILD)/tools/demo-files.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LIB_LIBS)

# a new file moved into place: nginx may be serving the old one
$(FIELD_RULES_JS): $(BUILD)/bin/field-rules
	$< > $@.tmp
	mv -f $@.tmp $@

# the same program under ASan/UBSan for the back-office suites
# (t/bin/asan-suite); its reports go to build/asan/log (t/asan/options.c)
ADMIN_ASAN  := $(BUILD)/asan/certhall-admin

$(ADMIN_ASAN): $(ADMIN_SRCS) $(SAN_LIB_OBJS) $(LIB_HDRS) $(wildcard admin/*.h) t/asan/options.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -g -O1 $(WARN) $(SAN_FLAGS) \
	    -DCERTHALL_ASAN_LOG='"$(CURDIR)/$(BUILD)/asan/log/report"' \
	    -o $@ $(ADMIN_SRCS) $(SAN_LIB_OBJS) t/asan/options.c -lpq $(LIB_LIBS) -lcurl

# --- tests ------------------------------------------------------------------

$(BUILD)/san/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -g -O1 $(WARN) $(SAN_FLAGS) -c -o $@ $<

$(BUILD)/fuzz/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
	    -fno-sanitize-recover=all -c -o $@ $<

$(BUILD)/unit/%: t/unit/%.c $(SAN_LIB_OBJS) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -g -O1 $(WARN) $(SAN_FLAGS) -o $@ $< $(SAN_LIB_OBJS) -lcmocka $(LIB_LIBS)

unit: $(UNIT_BINS)

$(BUILD)/fuzz/%: t/fuzz/%.c $(FUZZ_LIB_OBJS) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -o $@ $< $(FUZZ_LIB_OBJS) $(LIB_LIBS)

fuzz-build: $(FUZZ_BINS)

FUZZ_SECONDS ?= 60

fuzz: deps
	@$(MAKE) -s fuzz-build
	@for f in $(FUZZ_BINS); do t/bin/fuzz-tap $$f -1 $(FUZZ_SECONDS); done

# the scans the upload suites and the benchmark make (t/tools/mkscan.c; its
# drawing and encoders are t/unit/scangen.h, shared with test_filecheck)
$(BUILD)/bin/mkscan: t/tools/mkscan.c t/unit/scangen.h t/unit/jpxenc.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< -ljpeg -lpng16 -lz -lopenjp2

$(BUILD)/unit/test_filecheck $(BUILD)/unit/test_image_variants: t/unit/scangen.h t/unit/scanfile.h
$(BUILD)/unit/test_alipay $(BUILD)/unit/test_alipay_notify: t/unit/alipay_keys.h
$(BUILD)/unit/test_pdf_colour $(BUILD)/unit/test_pdf_jpx: t/unit/pdfpage.h
$(BUILD)/unit/test_pdf_jpx: t/unit/jpxenc.h
$(BUILD)/fuzz/fuzz_jpeg $(BUILD)/fuzz/fuzz_png $(BUILD)/fuzz/fuzz_bmp $(BUILD)/fuzz/fuzz_pdf: t/fuzz/fuzz_filecheck.h

# the C side of t/tools/field-rules.t: a form's field as the module checks it
$(BUILD)/bin/field-verdicts: t/tools/field-verdicts.c $(LIB_OBJS) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(LIB_OBJS) $(LIB_LIBS)

# the upload checker over files: code and detail per file, for the producer
# corpus (t/tools/producers.t) and by hand
$(BUILD)/bin/filecheck: t/tools/filecheck.c $(LIB_OBJS) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(LIB_OBJS) $(LIB_LIBS)

tools: $(BUILD)/bin/mkscan $(BUILD)/bin/field-verdicts $(BUILD)/bin/filecheck

# make bench's figures for Alipay's RSA2 (bench/alipay-crypto.c): lib/ as
# the module and the back office build it, no sanitizer
$(BUILD)/bin/alipay-crypto: bench/alipay-crypto.c $(LIB_OBJS) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(LIB_OBJS) $(LIB_LIBS)

# as many compilers at once as there are cores
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)

test: deps
	@$(MAKE) -s -j$(JOBS) all unit fuzz-build tools $(ADMIN_ASAN)
	@t/bin/testenv t/bin/run-tests

# the website in Debian's Chromium (t/browser): a hall of its own, every
# journey, screenshots under build/browser/ (README "Browser tests")
browser: deps
	@$(MAKE) -s all
	@t/bin/run-tests browser:t/browser

# the fault suite in full (more clients, longer loads: t/faults/*.t read
# CERTHALL_FAULTS_FULL); each file starts a hall of its own
faults: deps
	@$(MAKE) -s all tools
	@CERTHALL_FAULTS_FULL=1 t/bin/testenv t/bin/run-tests $(sort $(wildcard t/faults/*.t))

# make test on a loaded machine: one busy loop per core beside the tests
# (t/bin/run-tests, CERTHALL_STRESS)
test-stress:
	@CERTHALL_STRESS=1 $(MAKE) -s test

# the valgrind pass in full: every suite the short form of make test leaves
# out too (t/bin/run-tests, valgrind_suites), three at a time
VALGRIND_SUITES := $(foreach f,$(wildcard t/*.t),$(if $(findstring -backoffice,$f)$(findstring 003-www,$f),,$f))

valgrind: deps
	@$(MAKE) -s all
	@CERTHALL_TEST_JOBS=3 t/bin/testenv t/bin/run-tests $(addprefix valgrind:,$(VALGRIND_SUITES))

bench: deps
	@$(MAKE) -s all tools $(BUILD)/bin/alipay-crypto
	@t/bin/testenv bench/run.sh

# a hall of its own (CERTHALL_PORT, default 8190, to +5) for minutes: the
# workers' RSS growth per 10,000 requests, and valgrind's leak check
soak: deps
	@$(MAKE) -s all tools
	@bench/soak.pl

# --- the local hall ---------------------------------------------------------

run: deps
	@$(MAKE) -s all
	@scripts/run.sh start

stop:
	@scripts/run.sh stop

migrate:
	@scripts/run.sh migrate

clean:
	rm -rf $(BUILD)
