# SPDX-License-Identifier: MIT
# benchrx (tests/bench/benchrx): the benchmarks' receivers (drop and xsk ceilings, the sub
# subscriber). Included by the top-level Makefile; uses its variables. The program is
# $(BUILD)/bench/benchrx; its intermediates (BPF object, skeleton, object) go to
# $(BUILD)/tests/bench/benchrx/. It links dataplane/umem.c (from libxrelay-dp.a) for the socket.

BENCHRX_SRC := tests/bench/benchrx
BENCHRX_OUT := $(BUILD)/tests/bench/benchrx
BENCHRX_BIN := $(BUILD)/bench/benchrx

$(BENCHRX_OUT)/benchrx.bpf.o: $(BENCHRX_SRC)/benchrx.bpf.c $(BENCHRX_SRC)/benchrx.h \
		tests/bench/livegen/livegen.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -I$(BENCHRX_SRC) -Itests/bench/livegen -c $< -o $@

$(BENCHRX_OUT)/benchrx.skel.h: $(BENCHRX_OUT)/benchrx.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name benchrx > $@

# An explicit recipe, so the Makefile's $(BUILD)/%.o pattern does not apply.
$(BENCHRX_OUT)/benchrx.o: $(BENCHRX_SRC)/benchrx.c $(BENCHRX_SRC)/benchrx.h \
		tests/bench/livegen/livegen.h dataplane/umem.h $(BENCHRX_OUT)/benchrx.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -I$(BENCHRX_SRC) -Itests/bench/livegen -Idataplane \
		-I$(BENCHRX_OUT) -c $< -o $@

$(BENCHRX_BIN): $(BENCHRX_OUT)/benchrx.o $(BUILD)/libxrelay-dp.a $(LIB)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

BENCH_TOOLS += $(BENCHRX_BIN)
