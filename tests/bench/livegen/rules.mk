# livegen (tests/bench/livegen): the in-kernel traffic generator of the benchmarks, and the BPF
# receiver its self-test attaches. Included by the top-level Makefile; uses its variables.
# The program is $(BUILD)/bench/livegen, so its intermediates (BPF objects, skeleton, object)
# go to $(BUILD)/tests/bench/livegen/, where the Makefile puts every object of tests/.

LIVEGEN_SRC := tests/bench/livegen
LIVEGEN_OUT := $(BUILD)/tests/bench/livegen
LIVEGEN_BIN := $(BUILD)/bench/livegen

$(LIVEGEN_OUT)/%.bpf.o: $(LIVEGEN_SRC)/%.bpf.c $(LIVEGEN_SRC)/livegen.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -I$(LIVEGEN_SRC) -c $< -o $@

$(LIVEGEN_OUT)/livegen.skel.h: $(LIVEGEN_OUT)/livegen.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name livegen > $@

# An explicit recipe, so the Makefile's $(BUILD)/%.o pattern does not apply.
$(LIVEGEN_OUT)/livegen.o: $(LIVEGEN_SRC)/livegen.c $(LIVEGEN_SRC)/livegen.h \
		$(LIVEGEN_OUT)/livegen.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -I$(LIVEGEN_SRC) -I$(LIVEGEN_OUT) -c $< -o $@

$(LIVEGEN_BIN): $(LIVEGEN_OUT)/livegen.o
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

BENCH_TOOLS += $(LIVEGEN_BIN) $(LIVEGEN_OUT)/rxcount.bpf.o
