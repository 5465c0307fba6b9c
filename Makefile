# xrelay: one Makefile for everything; all outputs under $(BUILD).
#   make                 build the BPF object, its skeleton, the library and the programs
#   make test            install missing packages, build, run every test (and format-check)
#   make SANITIZE=address,undefined test   the same with sanitizers (into build/san)
#   make soak            the reliability suite's long versions (tests/reliability), figures printed
#   make bench           benchmarks (tests/bench), figures printed, docs/benchmarks.md written
#   make bench QUICK=1   a smoke run of the benchmarks, under 2 minutes
#   make format          reformat the sources; make format-check only checks
#   make install         programs, BPF object, systemd units, man pages into $(DESTDIR)$(PREFIX)
#   V=1                  show the commands

.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:

ifeq ($(SANITIZE),)
BUILD ?= build
else
BUILD ?= build/san
endif

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
CLANG_FORMAT ?= clang-format
ARCH_INC := /usr/include/$(shell $(CC) -print-multiarch 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CFLAGS ?= -O2 -g
XCFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -Itests/util -I$(BUILD) -MMD -MP
LDLIBS := -lmicrohttpd -ljansson -luring -lxdp -lbpf -lelf -lsnappy -lz -lpthread
ifneq ($(SANITIZE),)
XCFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Werror -Iinclude -I$(ARCH_INC)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# lib/ and api/ are shared; each program's modules (all but main.c) form an archive that its
# tests link, so a test links the real module.
LIB_SRCS := $(wildcard lib/*.c api/*.c)
LIB := $(BUILD)/libxrelay.a
CP_SRCS := $(filter-out controlplane/main.c,$(wildcard controlplane/*.c))
DP_SRCS := $(filter-out dataplane/main.c,$(wildcard dataplane/*.c))
CP_LIB := $(if $(CP_SRCS),$(BUILD)/libxrelay-cp.a)
DP_LIB := $(if $(DP_SRCS),$(BUILD)/libxrelay-dp.a)
# The tools (tools/xrelay-<name>.c, one program each) share tools/*.c and read the recordings
# with the dataplane's container-format code (dataplane/ocf_reader.c): one reader in the project.
TOOL_MAINS := $(wildcard tools/xrelay-*.c)
TOOL_SRCS := $(filter-out $(TOOL_MAINS),$(wildcard tools/*.c))
TOOL_LIB := $(BUILD)/libxrelay-tools.a
LIBS := $(CP_LIB) $(DP_LIB) $(LIB)
PROGS := $(if $(wildcard controlplane/main.c),$(BUILD)/xrelay-api) \
	 $(if $(wildcard dataplane/main.c),$(BUILD)/xrelay-dataplane) \
	 $(patsubst tools/%.c,$(BUILD)/%,$(TOOL_MAINS))

UTIL_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/util/*.c))

BPF_OBJ := $(BUILD)/xrelay.bpf.o
BPF_SKEL := $(BUILD)/xrelay.skel.h

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/t/%,$(wildcard tests/unit/test_*.c))
BPF_TESTS := $(patsubst tests/bpf/%.c,$(BUILD)/t/%,$(wildcard tests/bpf/test_*.c))
BENCHES := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(wildcard tests/bench/bench_*.c))
TESTS := $(UNIT_TESTS) $(BPF_TESTS)
# The network tests' traffic tools (standalone programs) and scenarios.
NET_TOOLS := $(patsubst tests/net/%.c,$(BUILD)/net/%,$(wildcard tests/net/*.c))
NET_TESTS := $(sort $(wildcard tests/net/test_*.sh))
# xrelay-read and xrelay-replay: the recording writer of their tests and scenarios.
READ_TOOLS := $(patsubst tests/read/%.c,$(BUILD)/read/%,$(wildcard tests/read/*.c))
READ_TESTS := $(sort $(wildcard tests/read/test_*.sh))
RELIABILITY_TESTS := $(sort $(wildcard tests/reliability/test_*.sh))
# The scenarios that matter most, again with the socket backend (issue 11; ~45 s): traffic,
# files, subscribers and /stats; channels added and removed live (every datagram after the
# 201 recorded); PATCH; SIGTERM and a restart. tests/run.sh runs VAR=VALUE:PATH with VAR set.
SOCKET_NET_TESTS := $(addprefix XR_MODE=socket:tests/net/test_,e2e.sh live_channels.sh patch.sh \
	sigterm.sh)

# Tests that are scripts; they find the build through $BUILD.
SCRIPT_TESTS := tests/api/test_validate_selftest.sh tests/api/lint-openapi.sh \
	tests/api/test_api.py tests/fuzz/test_fuzz.sh tests/fuzz/test_fuzz_datum.sh \
	tests/deploy/test_manifests.sh $(NET_TESTS) $(SOCKET_NET_TESTS) $(READ_TESTS) $(RELIABILITY_TESTS) \
	$(sort $(wildcard tests/install/test_*.sh))

# The libFuzzer harness of the API's request handler: its own clang build with sanitizers.
FUZZ := $(BUILD)/fuzz/fuzz_router
FUZZ_SRCS := tests/fuzz/fuzz_router.c $(addprefix controlplane/,router.c store.c response.c etag.c \
	channels.c stats.c health.c page.c) \
	$(wildcard api/*.c) $(wildcard lib/*.c) tests/util/testenv.c
FUZZ_CFLAGS := -g -O1 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-fsanitize=fuzzer,address,undefined -Iinclude -Icontrolplane -Itests/util -I$(BUILD)
FUZZ_SECONDS ?= 600
# The datum validator's harness (tests/fuzz/fuzz_datum.c), the same way.
FUZZ_DATUM := $(BUILD)/fuzz/fuzz_datum
FUZZ_DATUM_SRCS := tests/fuzz/fuzz_datum.c lib/datum.c lib/datum_check.c

FORMAT_SRCS := $(shell git ls-files -co --exclude-standard '*.c' '*.h' 2>/dev/null)

# Where make install puts things (a Debian package would use PREFIX=/usr). The daemons go to
# sbin with pages in section 8; any other program to bin, section 1. Pages are made from each
# program's --help (scripts/man.sh), so they cannot disagree with it.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
PKGLIBDIR ?= $(PREFIX)/lib/xrelay
UNITDIR ?= $(PREFIX)/lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
SBIN_PROGS := $(filter %/xrelay-api %/xrelay-dataplane,$(PROGS))
BIN_PROGS := $(filter-out $(SBIN_PROGS),$(PROGS))
MANS := $(SBIN_PROGS:$(BUILD)/%=$(BUILD)/man/%.8) $(BIN_PROGS:$(BUILD)/%=$(BUILD)/man/%.1)
UNIT_INS := $(wildcard dist/systemd/*.in)
# 'name(section)' of every page, for SEE ALSO.
MAN_NAMES := $(foreach m,$(MANS),'$(basename $(notdir $(m)))($(subst .,,$(suffix $(m))))')

.PHONY: all deps test check soak bench demo fuzz format format-check clean install uninstall
all: $(BPF_SKEL) $(LIBS) $(PROGS) $(TESTS) $(BENCHES) $(FUZZ) $(FUZZ_DATUM) $(NET_TOOLS) $(READ_TOOLS) $(MANS)

deps:
	$(Q)sh scripts/deps.sh

# Every object waits for the skeleton (order only): a recipe-less pattern rule would not add it.
$(BUILD)/%.o: %.c | $(BPF_SKEL)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -c $< -o $@

$(LIB): $(LIB_SRCS:%.c=$(BUILD)/%.o)
$(BUILD)/libxrelay-cp.a: $(CP_SRCS:%.c=$(BUILD)/%.o)
$(BUILD)/libxrelay-dp.a: $(DP_SRCS:%.c=$(BUILD)/%.o)
$(TOOL_LIB): $(TOOL_SRCS:%.c=$(BUILD)/%.o)
$(BUILD)/%.a:
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/net/%: tests/net/%.c tests/net/pattern.h tests/net/tool.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -Itests/net $(LDFLAGS) $< -o $@

$(BUILD)/read/%: $(BUILD)/tests/read/%.o $(UTIL_OBJS) $(LIBS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/xrelay-api: $(BUILD)/controlplane/main.o $(LIBS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/xrelay-dataplane: $(BUILD)/dataplane/main.o $(LIBS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/xrelay-%: $(BUILD)/tools/xrelay-%.o $(TOOL_LIB) $(LIBS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/man/%.8 $(BUILD)/man/%.1: $(BUILD)/% scripts/man.sh
	$(call msg,MAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sh scripts/man.sh $< $(subst .,,$(suffix $@)) $(MAN_NAMES) 'systemd.service(5)' > $@

# The status page (controlplane/status.html) as a C array with its Content-Security-Policy.
PAGE_H := $(BUILD)/controlplane/status_page.h
$(PAGE_H): controlplane/status.html scripts/embed-page.sh
	$(call msg,EMBED,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sh scripts/embed-page.sh $< $@
$(BUILD)/controlplane/page.o: $(PAGE_H)

$(BPF_OBJ): bpf/xrelay.bpf.c include/xrelay/maps.h include/xrelay/addr.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPF_SKEL): $(BPF_OBJ)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name xrelay > $@


$(BUILD)/t/%: $(BUILD)/tests/unit/%.o $(UTIL_OBJS) $(LIBS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ -lcmocka $(LDLIBS)

# The container-format tests share a fixture (tests/unit/ocfcheck.c) that reads files back with
# avro-c, a test tool only.
$(BUILD)/t/test_ocf_%: $(BUILD)/tests/unit/test_ocf_%.o $(BUILD)/tests/unit/ocfcheck.o \
		       $(UTIL_OBJS) $(LIBS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ -lcmocka -lavro $(LDLIBS)

$(BUILD)/t/%: $(BUILD)/tests/bpf/%.o $(UTIL_OBJS) $(LIBS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ -lcmocka $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/tests/bench/%.o $(UTIL_OBJS) $(LIBS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(FUZZ): $(FUZZ_SRCS) $(BPF_SKEL) $(PAGE_H) $(wildcard include/xrelay/*.h controlplane/*.h)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_SRCS) -o $@ $(LDLIBS)

$(FUZZ_DATUM): $(FUZZ_DATUM_SRCS) include/xrelay/datum.h include/xrelay/maps.h lib/datum_int.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_DATUM_SRCS) -o $@ -ljansson

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory format-check
	$(Q)BUILD=$(BUILD) SANITIZE=$(SANITIZE) sh tests/run.sh $(TESTS) $(SCRIPT_TESTS)

# The reliability suite (tests/reliability, also part of make test) in its long versions: 100
# kills, 10,000 API operations, a minute of overload, 30 s on a full disk (the hostile clients
# as in make test). Each scenario prints its figures (kill -9: kills survived, records lost
# unaccounted, files unreadable).
SOAK_ENV := KILL9_ROUNDS=100 CHURN_OPS=10000 CHURN_SECONDS=150 OVERLOAD_SECONDS=60 \
	FULLDISK_FULL_S=30
soak: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(SOAK_ENV) TEST_TIMEOUT=3600 BUILD=$(BUILD) SANITIZE=$(SANITIZE) \
		sh tests/run.sh $(RELIABILITY_TESTS)

# The relay end to end on a veth pair in a namespace, on an embedded default; removes all it made.
# MODE=socket: with the socket backend instead of XDP.
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) XR_MODE=$(MODE) bash tests/net/demo.sh

fuzz: deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ) $(FUZZ_DATUM)
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/test_fuzz.sh
	$(Q)BUILD=$(BUILD) FUZZ_DATUM_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/test_fuzz_datum.sh

check: test

# Every benchmark, figures printed; the relay harness (tests/bench/bench_relay.sh) also writes
# the results section of docs/benchmarks.md. QUICK=1: a smoke run of the same, in under two
# minutes (short probes, 64-byte payloads only), docs/benchmarks.md untouched.
QUICK_ON := $(filter-out 0,$(QUICK))
bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_TOOLS)
	$(Q)for b in $(BENCHES); do echo "== $$b"; $$b $(if $(QUICK_ON),1000000) || exit 1; done
	$(Q)echo "== tests/bench/bench_api.sh"; BUILD=$(BUILD) sh tests/bench/bench_api.sh $(if $(QUICK_ON),2)
	$(Q)echo "== tests/bench/bench_relay.sh"; BUILD=$(BUILD) QUICK=$(if $(QUICK_ON),1,0) \
		BENCH_DOC=$(if $(QUICK_ON),,docs/benchmarks.md) bash tests/bench/bench_relay.sh
	$(Q)echo "== tests/bench/bench_replay.sh"; BUILD=$(BUILD) QUICK=$(if $(QUICK_ON),1,0) \
		BENCH_DOC=$(if $(QUICK_ON),,docs/benchmarks.md) bash tests/bench/bench_replay.sh

# The BPF object is built into the dataplane (its skeleton embeds it); the copy installed in
# PKGLIBDIR is for inspection (bpftool prog, llvm-objdump) and is never loaded from there.
install: $(PROGS) $(BPF_OBJ) $(MANS)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(PKGLIBDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(if $(BIN_PROGS),$(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1)
	$(Q)install -m 0755 $(SBIN_PROGS) $(DESTDIR)$(SBINDIR)/
	$(Q)$(if $(BIN_PROGS),install -m 0755 $(BIN_PROGS) $(DESTDIR)$(BINDIR)/)
	$(Q)install -m 0644 $(BPF_OBJ) $(DESTDIR)$(PKGLIBDIR)/
	$(Q)for u in $(UNIT_INS); do \
		sed 's|@SBINDIR@|$(SBINDIR)|g' $$u > $(DESTDIR)$(UNITDIR)/$$(basename $$u .in) && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$u .in) || exit 1; done
	$(Q)for m in $(MANS); do s=$${m##*.}; \
		gzip -9n < $$m > $(DESTDIR)$(MANDIR)/man$$s/$$(basename $$m).gz && \
		chmod 0644 $(DESTDIR)$(MANDIR)/man$$s/$$(basename $$m).gz || exit 1; done

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(SBIN_PROGS:$(BUILD)/%=$(DESTDIR)$(SBINDIR)/%) \
		$(BIN_PROGS:$(BUILD)/%=$(DESTDIR)$(BINDIR)/%) \
		$(DESTDIR)$(PKGLIBDIR)/$(notdir $(BPF_OBJ)) \
		$(UNIT_INS:dist/systemd/%.in=$(DESTDIR)$(UNITDIR)/%) \
		$(foreach m,$(MANS),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)).gz)
	$(Q)rmdir $(DESTDIR)$(PKGLIBDIR) 2>/dev/null || true

format:
	$(Q)$(CLANG_FORMAT) -i $(FORMAT_SRCS)

format-check:
	$(call msg,FORMAT,check)
	$(Q)$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_SRCS)

clean:
	$(Q)rm -rf build

# Benchmark parts with their own build rules (tests/bench/<part>/rules.mk): they add their
# outputs to BENCH_TOOLS, built by make bench (not by make test).
BENCH_TOOLS :=
-include $(wildcard tests/bench/*/rules.mk)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
