# SPDX-License-Identifier: MIT
# The baseline relay (recvmmsg, writev, sendmmsg) that the benchmarks compare xrelay against.
# Included by the top-level Makefile; built by make bench (or by naming it), not by make all.

BASELINE_OBJ := $(BUILD)/tests/bench/baseline/baseline.o

$(BASELINE_OBJ): tests/bench/baseline/baseline.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -c $< -o $@

$(BUILD)/bench/baseline-relay: $(BASELINE_OBJ) $(BUILD)/tests/util/testocf.o $(BUILD)/libxrelay-dp.a \
			       $(LIB)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

BENCH_TOOLS += $(BUILD)/bench/baseline-relay
