# formagent: one Makefile for the agent, its tests and its demo.
#
#   make            build build/formagent
#   make test       install missing Debian packages, build, run every test
#   make demo       install missing Debian packages, build, run the agent on the samples in demo/
#                   (DEMO_ONCE=1 stops when they are done)
#   make asan       the tests again under AddressSanitizer and UBSan (in build/asan)
#   make crashtest  SIGKILL at random moments, CRASH_CYCLES times (default 200); these three
#                   take WORKERS=N, the agent's threads (make test runs 1 and TEST_WORKERS)
#   make faulttest  every open, write, fsync, rename, close on the spool fails in turn
#   make badinput   the corpus of tests/bad/ (80+ bad inputs and rules) against a running agent
#   make bench      formagent against the libxlsxwriter floor and a Python peer (BENCH_QUICK=1)
#   make scantest   forms printed to PDF by LibreOffice, read back as scanned claims
#   make fuzz       libFuzzer on the reader, YAML loader, transforms, expressions, scan finders
#   make fresh-test make test on a clean clone inside a brand-new Debian root (as root;
#                   FRESH_TARGETS="test asan" for more than make test)
#   make install    PREFIX=/usr/local DESTDIR=
#   make format     clang-format every source in place; make check-format only reports
#
# Quiet by default; V=1 prints the full command lines.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
SAN     ?=

# Debian packages: what the build needs, and what the tests and the demo need on top.
BUILD_PKGS = gcc make pkg-config libxlsxwriter-dev libyaml-dev libcsv-dev libjansson-dev libssl-dev \
	     libsystemd-dev libicu-dev gettext libminizip-dev libxml2-dev libpoppler-glib-dev \
	     libcairo2-dev libtesseract-dev libleptonica-dev tesseract-ocr-jpn libsqlite3-dev \
	     libpq-dev
TEST_PKGS  = libcmocka-dev unzip systemd procps man-db poppler-utils imagemagick postgresql sqlite3 \
	     $(FONT_PKGS)
# The free faces that templates/fonts.conf binds the office's Windows font names to: without the
# Japanese ones LibreOffice prints every Japanese character of a form as a box; without Carlito
# (Calibri's metrics) every column prints wider than in Excel, and a form at another scale.
FONT_PKGS  = fonts-crosextra-carlito fonts-ipafont-gothic fonts-ipafont-mincho fonts-ipaexfont-gothic fonts-ipaexfont-mincho
# Every LibreOffice run of formagent is given that file as FONTCONFIG_FILE (installed as
# $(PREFIX)/share/formagent/fonts.conf), so a form prints in the same faces on every machine.
# Commands the agent runs, with the package that brings each when the command is missing:
# LibreOffice makes the print PDF (a desktop LibreOffice already there is used as it is).
PRINT_CMDS = soffice:libreoffice-calc-nogui
TEST_CMDS  = $(PRINT_CMDS)
PKG_LIBS   = xlsxwriter yaml-0.1 jansson libcrypto libsystemd icu-uc icu-i18n minizip libxml-2.0 sqlite3 libpq \
	     poppler-glib cairo tesseract lept

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	   -Wpointer-arith -Wformat=2 -Wvla
CPPFLAGS += -std=c11 -D_GNU_SOURCE -pthread -Iagent
ifneq ($(SAN),)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# libcsv ships no pkg-config file in Debian; every other library comes through pkg-config.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKG_LIBS) 2>/dev/null)
PKG_LDLIBS = $(shell pkg-config --libs $(PKG_LIBS) 2>/dev/null) -lcsv -lm -pthread
TEST_LDLIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

ifeq ($(V),1)
Q =
say = @true
else
Q = @
say = @printf '  %-6s %s\n'
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

# The command line (main.c, tools.c, claims.c) goes into the program only; the rooms also into the tests.
CLI_SRCS = agent/main.c agent/tools.c agent/claims.c
LIB_SRCS = $(filter-out $(CLI_SRCS),$(wildcard agent/*.c))
LIB_OBJS = $(LIB_SRCS:agent/%.c=$(BUILD)/agent/%.o)
MAIN_OBJ = $(CLI_SRCS:agent/%.c=$(BUILD)/agent/%.o)
UNIT_SRCS = $(wildcard tests/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/%.c=$(BUILD)/tests/%)
HELPER_OBJS = $(BUILD)/tests/xlsxread.o $(BUILD)/tests/testutil.o

.PHONY: all deps test unit e2e demo asan install uninstall clean format check-format pot fuzz \
	crashtest faulttest badinput bench scantest fresh-test
.SUFFIXES:
.SECONDARY:

all: $(BUILD)/formagent $(BUILD)/locale/ja/LC_MESSAGES/formagent.mo

# The Japanese catalog of the reasons clerks read (po/ja.po), beside the binary.
$(BUILD)/locale/ja/LC_MESSAGES/formagent.mo: po/ja.po
	@mkdir -p $(@D)
	$(say) MSGFMT $<
	$(Q)msgfmt --check -o $@ $<

# Refreshes po/formagent.pot from the sources; then merge it into po/ja.po with msgmerge.
pot:
	xgettext -k_ -kN_ --from-code=UTF-8 --no-location -o po/formagent.pot agent/*.c

# Installs only what is missing, and says what. Root runs apt-get directly, anyone else through sudo.
deps:
	@missing=""; for p in $(BUILD_PKGS) $(DEPS_EXTRA); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	for cp in $(DEPS_CMDS); do \
		command -v $${cp%%:*} >/dev/null 2>&1 || missing="$$missing $${cp#*:}"; done; \
	if [ -n "$$missing" ]; then \
		echo "formagent: installing Debian packages:$$missing"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing \
			>/dev/null || { echo "formagent: apt-get failed for:$$missing" >&2; exit 1; }; \
	fi

$(BUILD)/formagent: $(LIB_OBJS) $(MAIN_OBJ)
	$(say) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LDLIBS)

$(BUILD)/agent/%.o: agent/%.c
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(CPPFLAGS) -DFORMAGENT_VERSION='"$(VERSION)"' -DLOCALEDIR='"$(PREFIX)/share/locale"' $(PKG_CFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(CPPFLAGS) -Itests $(PKG_CFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(HELPER_OBJS) $(LIB_OBJS)
	$(say) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LDLIBS) $(TEST_LDLIBS)

test:
	@$(MAKE) --no-print-directory deps DEPS_EXTRA="$(TEST_PKGS)" DEPS_CMDS="$(TEST_CMDS)"
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)
	@for w in 1 $(TEST_WORKERS); do \
		$(MAKE) --no-print-directory crashtest CRASH_CYCLES=$(TEST_CRASH_CYCLES) WORKERS=$$w && \
		$(MAKE) --no-print-directory faulttest FAULT_PER_OP=$(TEST_FAULT_PER_OP) WORKERS=$$w && \
		$(MAKE) --no-print-directory badinput WORKERS=$$w || exit 1; \
	done
	@$(MAKE) --no-print-directory scantest SCAN_CLAIMS=$(TEST_SCAN_CLAIMS)
	@$(MAKE) --no-print-directory unit

# The unit and end-to-end suites: each test binary is cmocka; tests/run adds up their results.
# tests/pgserver runs them beside a PostgreSQL server of their own, for the claims register.
unit: all $(UNIT_BINS)
	@FORMAGENT=$(abspath $(BUILD)/formagent) SRCDIR=$(CURDIR) tests/pgserver tests/run $(UNIT_BINS)

# The real agent on demo/ with the example configuration: the samples are dropped into the
# inbox, each outcome is logged as it happens, and the agent keeps watching until Ctrl-C
# (DEMO_ONCE=1: until the samples are done).
demo:
	@$(MAKE) --no-print-directory deps DEPS_EXTRA="$(FONT_PKGS)" DEPS_CMDS="$(PRINT_CMDS)"
	@$(MAKE) --no-print-directory all
	@rm -rf demo && mkdir -p demo/inbox
	@cp ../shared/samples/*.csv tests/samples/*.csv tests/samples/*.txt tests/samples/*.png demo/inbox/
	@echo "formagent demo: the samples are in demo/inbox; the agent takes them now."
	@$(if $(DEMO_ONCE),,echo "formagent demo: drop more files into demo/inbox; Ctrl-C stops the agent.")
	@$(BUILD)/formagent run -c formagent.yaml $(if $(DEMO_ONCE),--once); rc=$$?; \
	echo "formagent demo: forms in demo/out, inputs in demo/done, the audit log in demo/audit:"; \
	ls demo/out; echo "formagent demo: to print, open a .print.pdf: every form of its file, then the ledger:"; \
	ls demo/out/*.print.pdf; $(BUILD)/formagent audit verify -c formagent.yaml; exit $$rc

asan:
	@$(MAKE) --no-print-directory deps DEPS_EXTRA="$(TEST_PKGS)" DEPS_CMDS="$(TEST_CMDS)"
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 CFLAGS="-O1 -g" unit

# libFuzzer harnesses (tests/fuzz/) for the reader, the YAML loader with the rule schema, the
# transforms, the check expressions, the scanned-claim finders and the office's workbooks,
# under ASan and UBSan. Each runs FUZZ_SECONDS from seeds taken from the samples, fixtures and
# templates; an input that crashes one is kept in tests/fuzz/regressions/, and every input kept
# there is replayed first (make test does that, with a short run).
FUZZ_SECONDS ?= 60
TEST_FUZZ_SECONDS ?= 5
TEST_CRASH_CYCLES ?= 20
FUZZ_BUILD   = build/fuzz
FUZZERS      = reader yaml transform expr scan workbook
FUZZ_OBJS    = $(LIB_SRCS:agent/%.c=$(FUZZ_BUILD)/agent/%.o)
FUZZ_CFLAGS  = -g -O1 -fno-omit-frame-pointer

$(FUZZ_BUILD)/agent/%.o: agent/%.c
	@mkdir -p $(@D)
	$(say) FUZZCC $<
	$(Q)clang $(CPPFLAGS) -DFORMAGENT_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(FUZZ_CFLAGS) \
		-fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(say) FUZZLD $@
	$(Q)clang $(CPPFLAGS) $(PKG_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
		-o $@ $^ $(PKG_LDLIBS)

# clang alone does not bring libFuzzer and the sanitizers' runtimes: libclang-rt-dev does.
fuzz:
	@$(MAKE) --no-print-directory deps DEPS_EXTRA="clang libclang-rt-dev"
	@$(MAKE) --no-print-directory $(FUZZERS:%=$(FUZZ_BUILD)/fuzz_%)
	@mkdir -p tests/fuzz/regressions; \
	for f in $(FUZZERS); do \
		c=$(FUZZ_BUILD)/corpus-$$f; mkdir -p $$c; \
		case $$f in \
		reader) cp ../shared/samples/*.csv tests/samples/*.csv $$c/ 2>/dev/null;; \
		yaml) cp rules/*.yaml templates/*.yaml tests/fixtures/check/*/rules/*.yaml $$c/ 2>/dev/null;; \
		transform) printf '令和元年5月1日' > $$c/d1; printf 'R060401' > $$c/d2; printf '5,040円' > $$c/y1;; \
		expr) printf 'amount == fare * trips * 2' > $$c/e1; printf 'on + 3 > date("R6.4.1") and len(name) < 4' > $$c/e2;; \
		scan) cp tests/samples/scan-*.txt $$c/ 2>/dev/null;; \
		workbook) for x in templates/*.xlsx; do b=$$(basename "$$x" .xlsx); \
			{ printf '\000'; cat "$$x"; } > "$$c/$$b-whole"; \
			{ printf '\002'; unzip -p "$$x" xl/worksheets/sheet1.xml; } > "$$c/$$b-sheet"; done;; \
		esac; \
		set -- tests/fuzz/regressions/$$f-*; \
		if [ -e "$$1" ]; then echo "fuzz $$f: replaying $$# kept input(s)"; \
			$(FUZZ_BUILD)/fuzz_$$f "$$@" >/dev/null 2>&1 || { echo "fuzz $$f: a kept input fails again"; exit 1; }; fi; \
		echo "fuzz $$f: $(FUZZ_SECONDS) s"; \
		$(FUZZ_BUILD)/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 \
			-artifact_prefix=tests/fuzz/regressions/$$f- $$c >$(FUZZ_BUILD)/$$f.log 2>&1 \
			|| { tail -n 30 $(FUZZ_BUILD)/$$f.log; echo "fuzz $$f: FAILED; the input is in tests/fuzz/regressions/"; exit 1; }; \
		grep -E '^Done|#[0-9]+.*DONE' $(FUZZ_BUILD)/$$f.log | tail -n 1; \
	done; echo "fuzz: $(words $(FUZZERS)) harnesses, no crash"

# crashtest, faulttest and badinput take WORKERS=N for the agent's worker threads (default: the
# cores); make test runs each with one and with TEST_WORKERS, more threads than this machine's cores.
TEST_WORKERS ?= 4

# The crash loop: SIGKILL at random moments, restart, and compare the end with a clean run.
CRASH_CYCLES ?= 200
$(BUILD)/tests/crashtest: $(BUILD)/tests/crashtest.o $(BUILD)/tests/testutil.o $(LIB_OBJS)
	$(say) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LDLIBS)

crashtest: all $(BUILD)/tests/crashtest
	@echo "crashtest: workers $(or $(WORKERS),as cores)"
	@CRASH_CYCLES=$(CRASH_CYCLES) FORMAGENT=$(abspath $(BUILD)/formagent) SRCDIR=$(CURDIR) \
		WORKERS=$(WORKERS) $(BUILD)/tests/crashtest

# Injected I/O failures: tests/faultshim.so (LD_PRELOAD) fails each call of the agent on the spool
# in turn; FAULT_PER_OP=k tries at most k calls of each kind (make test: TEST_FAULT_PER_OP).
FAULT_PER_OP ?= 200
TEST_FAULT_PER_OP ?= 8
$(BUILD)/tests/faultshim.so: tests/faultshim.c
	@mkdir -p $(@D)
	$(say) SHLIB $@
	$(Q)$(CC) $(CPPFLAGS) -O2 -g $(WARN) -Wno-missing-prototypes -fPIC -shared -o $@ $< -ldl

$(BUILD)/tests/faulttest: $(BUILD)/tests/faulttest.o $(BUILD)/tests/testutil.o
	$(say) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LDLIBS)

faulttest: all $(BUILD)/tests/faulttest $(BUILD)/tests/faultshim.so
	@echo "faulttest: workers $(or $(WORKERS),as cores)"
	@FAULT_PER_OP=$(FAULT_PER_OP) FORMAGENT=$(abspath $(BUILD)/formagent) SRCDIR=$(CURDIR) \
		WORKERS=$(WORKERS) FAULT_SHIM=$(abspath $(BUILD)/tests/faultshim.so) \
		$(BUILD)/tests/faulttest

# The corpus of tests/bad/ against a running agent: each input's outcome and reason, bad rules.
$(BUILD)/tests/badinput: $(BUILD)/tests/badinput.o $(BUILD)/tests/testutil.o $(LIB_OBJS)
	$(say) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LDLIBS)

badinput: all $(BUILD)/tests/badinput
	@echo "badinput: workers $(or $(WORKERS),as cores)"
	@FORMAGENT=$(abspath $(BUILD)/formagent) SRCDIR=$(CURDIR) WORKERS=$(WORKERS) \
		$(BUILD)/tests/badinput

# Scanned claims read back: forms printed to PDF by LibreOffice, then read by transport-scan.
SCAN_CLAIMS ?= 40
TEST_SCAN_CLAIMS ?= 12
scantest: all $(BUILD)/bench/benchtool
	@FORMAGENT=$(BUILD)/formagent BENCHTOOL=$(BUILD)/bench/benchtool SCAN_CLAIMS=$(SCAN_CLAIMS) \
		tests/scantest

# Benchmarks (bench/run): formagent against the bare-libxlsxwriter floor and the Python peer,
# as ratios measured in one run. BENCH_QUICK=1 for a run under a minute.
$(BUILD)/bench/benchtool: bench/benchtool.c bench/claims.c bench/claims.h $(LIB_OBJS)
	@mkdir -p $(@D)
	$(say) CC $@
	$(Q)$(CC) $(CPPFLAGS) -O2 -g $(WARN) $(PKG_CFLAGS) -o $@ bench/benchtool.c bench/claims.c \
		$(LIB_OBJS) $(PKG_LDLIBS)

bench:
	@$(MAKE) --no-print-directory deps DEPS_EXTRA="python3-xlsxwriter postgresql"
	@$(MAKE) --no-print-directory all $(BUILD)/bench/benchtool
	@FORMAGENT=$(BUILD)/formagent BENCHTOOL=$(BUILD)/bench/benchtool bench/run

# A clean clone of the committed main, `make $(FRESH_TARGETS)` inside a new Debian root: what a
# newcomer's machine has, with none of what this one collected (tests/fresh-root).
FRESH_TARGETS ?= test
fresh-test:
	@tests/fresh-root $(FRESH_TARGETS)

# The example configuration is installed with its demo/ paths moved to /var/lib/formagent, the
# folders formagent.tmpfiles creates. The fonts the forms print in are installed with it on the
# machine itself; a staged install (DESTDIR) leaves the build machine's packages alone.
install: all
	$(if $(DESTDIR),,@$(MAKE) --no-print-directory deps BUILD_PKGS= DEPS_EXTRA="$(FONT_PKGS)" DEPS_CMDS="$(PRINT_CMDS)")
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)/etc/formagent/rules $(DESTDIR)/etc/formagent/templates \
		$(DESTDIR)/var/lib/formagent $(DESTDIR)$(PREFIX)/lib/systemd/system \
		$(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d
	install -m 0755 $(BUILD)/formagent $(DESTDIR)$(PREFIX)/bin/formagent
	install -m 0644 docs/formagent.1 $(DESTDIR)$(PREFIX)/share/man/man1/formagent.1
	install -d $(DESTDIR)$(PREFIX)/share/formagent
	install -m 0644 templates/fonts.conf $(DESTDIR)$(PREFIX)/share/formagent/fonts.conf
	install -d $(DESTDIR)$(PREFIX)/share/locale/ja/LC_MESSAGES
	install -m 0644 $(BUILD)/locale/ja/LC_MESSAGES/formagent.mo \
		$(DESTDIR)$(PREFIX)/share/locale/ja/LC_MESSAGES/formagent.mo
	sed 's|: demo/|: /var/lib/formagent/|' formagent.yaml > $(DESTDIR)/etc/formagent/formagent.yaml
	chmod 0640 $(DESTDIR)/etc/formagent/formagent.yaml
	install -m 0640 rules/*.yaml $(DESTDIR)/etc/formagent/rules/
	install -m 0640 templates/*.yaml templates/*.xlsx templates/fonts.conf \
		$(DESTDIR)/etc/formagent/templates/
	sed 's|@BINDIR@|$(PREFIX)/bin|' systemd/formagent.service \
		> $(DESTDIR)$(PREFIX)/lib/systemd/system/formagent.service
	install -m 0644 systemd/formagent.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/formagent.conf
	install -m 0644 systemd/formagent.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/formagent.conf

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/formagent $(DESTDIR)$(PREFIX)/share/man/man1/formagent.1 \
		$(DESTDIR)$(PREFIX)/lib/systemd/system/formagent.service \
		$(DESTDIR)$(PREFIX)/lib/sysusers.d/formagent.conf \
		$(DESTDIR)$(PREFIX)/lib/tmpfiles.d/formagent.conf \
		$(DESTDIR)$(PREFIX)/share/formagent/fonts.conf
	-rmdir $(DESTDIR)$(PREFIX)/share/formagent 2>/dev/null

clean:
	rm -rf build demo

SOURCES = $(wildcard agent/*.c agent/*.h tests/*.c tests/*.h bench/*.c bench/*.h)
format:
	clang-format -i $(SOURCES)
check-format:
	@clang-format --dry-run --Werror $(SOURCES)

-include $(wildcard $(BUILD)/agent/*.d $(BUILD)/tests/*.d)
