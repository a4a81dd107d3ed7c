# pagewatch -- GNU make.  `make`, `make check`, `make bench`, `make install`.
VERSION     := 0.1.0
SOVERSION   := 0
PREFIX      ?= /usr/local
DESTDIR     ?=
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man

CC          ?= cc
WARN        := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS      ?= -O2 -g
LDLIBS      := -lpthread
# Extra flags for programs only (check-qemu links them -static).
EXE_LDFLAGS ?=

# make check SANITIZE=address,undefined | SANITIZE=thread: everything
# instrumented, in a build directory of its own; any report fails.  Every
# sanitizer exits 66 after its first report, so that a report cannot pass
# for an exit status a test expects (the tool's 1, a child's 1).  Tests a
# sanitizer cannot follow skip, saying why (t_skip_under_sanitizer).
comma       := ,
ifdef SANITIZE
B           ?= build-$(subst $(comma),-,$(SANITIZE))
SAN         := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
export ASAN_OPTIONS  ?= abort_on_error=0:detect_leaks=1:halt_on_error=1:exitcode=66
export UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1:exitcode=66
export TSAN_OPTIONS  ?= halt_on_error=1:second_deadlock_stack=1:exitcode=66
export PAGEWATCH_SANITIZE := $(SANITIZE)
endif
B           ?= build
PW_CFLAGS   := -std=c11 $(WARN) -Iinclude -fPIC $(SAN)
EXE_CFLAGS  := -std=c11 $(WARN) -Iinclude $(SAN)
LDFLAGS     += $(SAN)

LIB_SRCS    := $(wildcard src/*.c)
LIB_OBJS    := $(LIB_SRCS:src/%.c=$(B)/obj/%.o)
TEST_SRCS   := $(filter-out tests/testlib.c,$(wildcard tests/*.c))
TESTS       := $(TEST_SRCS:tests/%.c=$(B)/tests/%)
FUZZERS     := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
TESTS       += $(FUZZERS:%=$(B)/tests/fuzz_%)
BENCH_SRCS  := $(wildcard bench/*.c)
BENCHES     := $(BENCH_SRCS:bench/%.c=$(B)/bench/%)
EXAMPLES    := $(patsubst examples/%.c,$(B)/%,$(wildcard examples/*.c))
TOOL_SRCS   := $(wildcard tools/*.c)
MAN1        := $(wildcard man/*.1)
MAN3        := $(wildcard man/*.3)

SONAME      := libpagewatch.so.$(SOVERSION)

.PHONY: all check bench install clean tests header-check demo install-check
all: $(B)/libpagewatch.a $(B)/libpagewatch.so $(B)/pagewatch $(EXAMPLES)

$(B)/obj/%.o: src/%.c src/internal.h src/kabi.h include/pagewatch.h
	@mkdir -p $(@D)
	$(CC) $(PW_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/libpagewatch.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/libpagewatch.so.$(VERSION): $(LIB_OBJS) src/libpagewatch.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=src/libpagewatch.map \
		$(LDFLAGS) -o $@ $(LIB_OBJS) $(LDLIBS)

$(B)/libpagewatch.so: $(B)/libpagewatch.so.$(VERSION)
	ln -sf libpagewatch.so.$(VERSION) $(B)/$(SONAME)
	ln -sf libpagewatch.so.$(VERSION) $@

$(B)/pagewatch: $(TOOL_SRCS) $(wildcard tools/*.h) $(B)/libpagewatch.a
	$(CC) $(EXE_CFLAGS) $(CFLAGS) $(LDFLAGS) $(EXE_LDFLAGS) -o $@ $(TOOL_SRCS) $(B)/libpagewatch.a $(LDLIBS)

$(B)/%: examples/%.c $(B)/libpagewatch.a
	$(CC) $(EXE_CFLAGS) $(CFLAGS) $(LDFLAGS) $(EXE_LDFLAGS) -o $@ $< $(B)/libpagewatch.a $(LDLIBS)

# Tests see the internals too (src/), to test what the tool and fuzzers use.
$(B)/tests/%: tests/%.c tests/testlib.c tests/testlib.h $(B)/libpagewatch.a
	@mkdir -p $(@D)
	$(CC) $(EXE_CFLAGS) -Isrc $(CFLAGS) $(LDFLAGS) $(EXE_LDFLAGS) -o $@ $< tests/testlib.c $(B)/libpagewatch.a $(LDLIBS)

# Every fuzz corpus (seeds and every crash found) replayed in make check.
$(B)/tests/fuzz_%: fuzz/fuzz_%.c fuzz/replay.c $(B)/libpagewatch.a $(wildcard tools/*.c tools/*.h)
	@mkdir -p $(@D)
	$(CC) $(EXE_CFLAGS) -Isrc -Itools $(CFLAGS) $(LDFLAGS) $(EXE_LDFLAGS) \
		-DCORPUS_DIR='"fuzz/corpus/$*"' -o $@ $< fuzz/replay.c $(B)/libpagewatch.a $(LDLIBS)

# libFuzzer (clang): each target for FUZZ_SECONDS, the library instrumented
# too.  FUZZ_EXTRA_<target> adds sources to one target (fuzz_tool_args
# compiles the tool's parsers into itself: no main() to clash).  A crash
# fails the run and leaves its input in $(B)/fuzz/<target>-crash-*: once
# fixed, copy it into fuzz/corpus/<target>/, which make check replays.
FUZZ_SECONDS ?= 30
FUZZ_CC     ?= clang
FUZZ_FLAGS  := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
	       -fno-sanitize-recover=undefined -Iinclude -Isrc -Itools
.PHONY: fuzz
fuzz: $(FUZZERS:%=$(B)/fuzz/%)
	@set -e; for t in $(FUZZERS); do \
		echo "== fuzz $$t for $(FUZZ_SECONDS)s"; \
		mkdir -p $(B)/fuzz/corpus-$$t; \
		if ! $(B)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(B)/fuzz/$$t- $(B)/fuzz/corpus-$$t fuzz/corpus/$$t \
			>$(B)/fuzz/$$t.log 2>&1; then \
			tail -n 60 $(B)/fuzz/$$t.log; \
			echo "fuzz $$t: FAILED; the input is in $(B)/fuzz/$$t-crash-*;" \
				"once fixed, add it to fuzz/corpus/$$t/"; \
			exit 1; \
		fi; \
		grep -E '^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added))' \
			$(B)/fuzz/$$t.log; \
	done

$(B)/fuzz/%: fuzz/fuzz_%.c $(LIB_SRCS) src/internal.h src/kabi.h include/pagewatch.h \
		$(wildcard tools/*.c tools/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(LIB_SRCS) $(FUZZ_EXTRA_$*) -lpthread

# make lint: cppcheck (.cppcheck-suppressions.xml) and clang-tidy
# (.clang-tidy) over src/ and tools/; any finding fails.  Each file's
# clang-tidy verdict is kept in $(B)/lint until it or a header changes.
CPPCHECK    ?= cppcheck
CLANG_TIDY  ?= clang-tidy
LINT_SRCS   := $(LIB_SRCS) $(TOOL_SRCS)
.PHONY: lint lint-cppcheck lint-tidy
lint: lint-cppcheck lint-tidy

lint-cppcheck:
	$(CPPCHECK) -q --std=c11 --platform=unix64 --library=posix \
		--enable=warning,style,performance,portability --inline-suppr \
		--suppress-xml=.cppcheck-suppressions.xml --error-exitcode=1 \
		--template='{file}:{line}: {severity}: {message} [{id}]' \
		-Iinclude -Isrc -Itools src tools

lint-tidy: $(LINT_SRCS:%.c=$(B)/lint/%.tidy)

$(B)/lint/%.tidy: %.c .clang-tidy $(wildcard include/*.h src/*.h tools/*.h)
	@mkdir -p $(@D)
	@echo "clang-tidy $<"
	@$(CLANG_TIDY) --quiet $< -- -std=c11 -Iinclude -Isrc -Itools >$@.log 2>&1 || \
		{ grep -v 'warnings generated' $@.log; exit 1; }
	@touch $@

# make stress: the long runs, STRESS_SECONDS each -- the lost-writes stress
# on each write-watch backend this kernel has, uffd_stress (each uffd
# configuration), and a process that exits, execs and unmaps while
# pagewatch and pw_scan read it (stress_tool_race).  make check runs the
# same programs for a few seconds.
STRESS_SECONDS ?= 60
.PHONY: stress
stress: all $(B)/tests/watch_stress $(B)/tests/uffd_stress $(B)/tests/stress_tool_race
	@set -e; export PW_BUILD=$(B) PW_STRESS_SECONDS=$(STRESS_SECONDS); \
	limit=$$(( $(STRESS_SECONDS) * 4 + 120 )); \
	run() { \
		echo "== $$*"; rc=0; timeout -k 5 $$limit "$$@" || rc=$$?; \
		case $$rc in \
		0) ;; \
		77) echo "   skipped: not available here" ;; \
		124) echo "FAIL: $$* did not finish in $$limit s"; exit 1 ;; \
		*) echo "FAIL: $$* (exit $$rc)"; exit 1 ;; \
		esac; \
	}; \
	for be in uffd-async uffd-sync soft-dirty mprotect; do \
		run env PAGEWATCH_BACKEND=$$be $(B)/tests/watch_stress; \
	done; \
	run $(B)/tests/uffd_stress; \
	run $(B)/tests/stress_tool_race; \
	echo "stress: done"

$(B)/bench/%: bench/%.c $(wildcard bench/*.h) $(B)/libpagewatch.a
	@mkdir -p $(@D)
	$(CC) $(EXE_CFLAGS) -Isrc $(CFLAGS) $(LDFLAGS) $(EXE_LDFLAGS) -o $@ $< $(B)/libpagewatch.a $(LDLIBS) -lm

# The README's first command: a process with written, zero, THP, file and
# guard pages, shown by `pagewatch maps` and `pagewatch scan`.
demo: all
	@$(B)/demo

tests: all $(TESTS) $(BENCHES)

check: tests header-check install-check
	@tests/run.sh $(B)

# What programs outside the project do: the contract's one-line build
# against the static library, and an installed header + shared library.
install-check: all
	@rm -rf $(B)/install-check && mkdir -p $(B)/install-check
	$(CC) $(SAN) -Iinclude examples/writewatch.c $(B)/libpagewatch.a -lpthread -o $(B)/install-check/static
	@$(MAKE) -s install PREFIX=/usr DESTDIR=$(CURDIR)/$(B)/install-check/root >/dev/null
	$(CC) $(SAN) -I$(B)/install-check/root/usr/include examples/writewatch.c \
		-L$(B)/install-check/root/usr/lib -lpagewatch -o $(B)/install-check/shared
	@LD_LIBRARY_PATH=$(B)/install-check/root/usr/lib $(B)/install-check/shared >/dev/null
	@$(B)/install-check/static >/dev/null
	@grep -q '^prefix=/usr$$' $(B)/install-check/root/usr/lib/pkgconfig/pagewatch.pc

# The public header must stand alone as C99 and as C++.
header-check:
	@mkdir -p $(B)
	$(CC) -std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only -x c include/pagewatch.h
	@if command -v c++ >/dev/null 2>&1; then \
		echo 'c++ -fsyntax-only include/pagewatch.h'; \
		c++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only -x c++ include/pagewatch.h; fi

bench: all $(BENCHES)
	@bench/run.sh $(B)

# Written at every install: PREFIX may differ from the last one.
define PC_FILE
prefix=$(PREFIX)
libdir=$(LIBDIR)
includedir=$(INCLUDEDIR)

Name: pagewatch
Description: which pages were written, present, swapped: PAGEMAP_SCAN on every kernel
Version: $(VERSION)
Libs: -L$${libdir} -lpagewatch
Libs.private: -lpthread
Cflags: -I$${includedir}
endef
export PC_FILE

install: all
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	install -m 644 include/pagewatch.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(B)/libpagewatch.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(B)/libpagewatch.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libpagewatch.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf libpagewatch.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libpagewatch.so
	printf '%s\n' "$$PC_FILE" > $(DESTDIR)$(LIBDIR)/pkgconfig/pagewatch.pc
	install -m 755 $(B)/pagewatch $(DESTDIR)$(BINDIR)/
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/)
	$(if $(MAN3),install -m 644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/)

clean:
	rm -rf $(B)

# The suite on Debian 12's 6.1 kernel under QEMU (software emulation).
.PHONY: check-qemu
check-qemu:
	@tests/qemu/run.sh
