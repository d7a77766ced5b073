# ptvisor: one Makefile for the VMM image, the ISO, the emulator runners and the tests.

CROSS    ?=
CC       := $(CROSS)gcc
LD       := $(CROSS)ld
OBJCOPY  := $(CROSS)objcopy
NASM     ?= nasm
HOSTCC   ?= gcc

BUILD    := build
PTV_VERSION ?= 0.1
ELF      := $(BUILD)/ptvisor.elf
ISO      := $(BUILD)/ptvisor.iso

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS   := -DPTV_VERSION=\"$(PTV_VERSION)\" -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
            -mno-red-zone -mgeneral-regs-only -mcmodel=kernel -fno-asynchronous-unwind-tables \
            -ffunction-sections -fdata-sections -fno-common -Ivmm -MMD -MP
# -mcmodel=kernel needs negative addresses; we run identity-mapped low, so use small.
CFLAGS   := $(subst -mcmodel=kernel,-mcmodel=small,$(CFLAGS))
LDFLAGS  := -nostdlib -static -z max-page-size=0x1000 --gc-sections -T linker.ld
NASMFLAGS := -f elf64 -g -I$(BUILD)/gen/

# vmx/asm_offsets.c is not linked: it generates the world switch's offsets (below).
VMM_C    := $(filter-out vmm/vmx/asm_offsets.c,$(shell find vmm -name '*.c' | sort))
BOOT_ASM := $(shell find boot vmm -name '*.asm' | sort)
VMM_OBJ  := $(VMM_C:%.c=$(BUILD)/%.o) $(BOOT_ASM:%.asm=$(BUILD)/%.o)

.PHONY: all iso run run-uefi run-kvm test unit integration bench analyze deps clean elf do-iso do-run do-run-uefi \
	do-run-kvm do-test do-unit do-bench do-analyze

# Installing what the build needs (tools/deps.sh: idempotent, quiet when all is there) is the first
# step of each top-level target; the build itself runs in a second make once it is done, so no
# object waits on it and `make -j` never compiles before the compiler's headers exist.
TOP_TARGETS := all iso run run-uefi run-kvm test unit bench analyze
deps:
	@tools/deps.sh
$(filter-out all,$(TOP_TARGETS)): deps
	@$(MAKE) --no-print-directory do-$@
all: deps
	@$(MAKE) --no-print-directory elf
elf: $(ELF)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.asm
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) $(NASMFLAGS) -MD $(@:.o=.d) $< -o $@

# struct offsets and VMCS encodings for vmx_run.asm, from the C headers (each "->NAME value" line).
$(BUILD)/gen/asm_offsets.inc: vmm/vmx/asm_offsets.c vmm/vmx/vcpu.h vmm/vmx/vmcs.h
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -S $< -o $@.s
	@sed -n 's/^.*->\([A-Z0-9_]*\) \$$\{0,1\}\([0-9][0-9]*\).*$$/\1 equ \2/p' $@.s > $@.tmp
	@rm -f $@.s
	@mv $@.tmp $@
$(BUILD)/vmm/vmx/vmx_run.o: $(BUILD)/gen/asm_offsets.inc

$(ELF): $(VMM_OBJ) linker.ld
	@echo "  LD      $@"
	@$(LD) $(LDFLAGS) -o $@ $(VMM_OBJ)
	@tools/check-image.sh $@

include tools/guests.mk

do-iso: $(ISO)
# The release image boots demo guests: hello, and two guests proving EPT isolation from each other.
$(ISO): $(ELF) tools/mkiso.sh tools/demo-modules.cfg tools/selftest-pt.cfg $(GUEST_BINS)
	PTV_MODULES_CFG=tools/demo-modules.cfg tools/mkiso.sh $@ $(ELF) $(GUEST_BINS)

do-run: $(ISO)
	tools/run-bochs.sh --iso $(ISO) --console

do-run-uefi: $(ISO)
	tools/run-qemu-uefi.sh --iso $(ISO) --console

do-run-kvm: $(ISO)
	tools/run-kvm.sh --iso $(ISO)

# ---- host unit tests: the same VMM sources, built for the host against a CPU model ----
HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) -Wno-missing-prototypes -DPTV_HOST_TEST -Ivmm -Itests/model \
               -fsanitize=address,undefined -fno-sanitize-recover=all -MMD -MP
# Each tests/unit/test_X.c lists the VMM sources it links in tests/unit/test_X.srcs.
COMMON_HOST_SRCS := vmm/lib/string.c vmm/lib/format.c vmm/log.c vmm/console/console.c \
                    tests/model/host_env.c
UNIT_TESTS  := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))
host_objs    = $(patsubst %.c,$(BUILD)/host/%.o,$(COMMON_HOST_SRCS) $(filter-out -l%,$(shell cat tests/unit/$(1).srcs 2>/dev/null)))
# A .srcs word starting with -l is a host library to link (e.g. -lipt).
host_libs    = $(filter -l%,$(shell cat tests/unit/$(1).srcs 2>/dev/null))

$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	@$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/unit/%: tests/unit/%.c $$(call host_objs,$$*)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(HOSTCC) $(HOST_CFLAGS) $< $(call host_objs,$*) $(call host_libs,$*) -lcmocka -o $@

do-unit: $(UNIT_TESTS)

# ---- host fuzzers: libFuzzer harnesses (tests/fuzz/fuzz_X.c) over the same VMM sources, clang + ASan/UBSan ----
# Each tests/fuzz/fuzz_X.c lists what it links in tests/fuzz/fuzz_X.srcs, like the unit tests; its seeds
# are tests/fuzz/corpus/X/. `make test` runs each for a few seconds (tools/run-tests.sh); `make fuzz` for FUZZ_TIME seconds.
FUZZ_CC     ?= clang-14
comma       := ,
FUZZ_TIME   ?= 300
FUZZ_CFLAGS := $(filter-out -fsanitize=%,$(HOST_CFLAGS)) -Itests/fuzz -fsanitize=fuzzer-no-link,address,undefined
COMMON_FUZZ_SRCS := vmm/lib/string.c vmm/lib/format.c vmm/log.c vmm/console/console.c tests/fuzz/env.c
FUZZERS     := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
fuzz_objs    = $(patsubst %.c,$(BUILD)/fuzz-obj/%.o,$(COMMON_FUZZ_SRCS) $(filter-out -%,$(shell cat tests/fuzz/$(1).srcs 2>/dev/null)))
# Link words of a .srcs: libraries (-lipt) and linker options (-Wl,--wrap=SYMBOL to watch a VMM call).
fuzz_libs    = $(filter -%,$(shell cat tests/fuzz/$(1).srcs 2>/dev/null))

$(BUILD)/fuzz-obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

# The test models (reference executors, rigs) are not what is fuzzed: sanitized but not coverage-guided.
$(BUILD)/fuzz-obj/tests/model/%.o: tests/model/%.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(subst fuzzer-no-link$(comma),,$(FUZZ_CFLAGS)) -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $$(call fuzz_objs,$$*)
	@mkdir -p $(dir $@)
	@echo "  FUZZER  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(call fuzz_objs,$*) $(call fuzz_libs,$*) -o $@

.PHONY: fuzz do-fuzz
fuzz: deps
	@$(MAKE) --no-print-directory do-fuzz
# A long run of every fuzzer; what each finds stays in build/fuzz-corpus/X for the next run.
do-fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do tools/fuzz.sh $$f $(FUZZ_TIME) $(BUILD)/fuzz-corpus/$$(basename $$f) || exit 1; done

# ---- static analysis: gcc -fanalyzer over every VMM source, with the VMM's own flags ----
# Each source's findings go to build/analyze/<source>.log, empty when it is clean (-Werror makes a
# finding an error; a log is written either way so that the next run only redoes what changed).
# `make test` builds the logs with everything else and tools/run-tests.sh counts a finding as a
# failure; `make analyze` prints them and fails on any.
ANALYZE_LOGS := $(patsubst %.c,$(BUILD)/analyze/%.log,$(shell find vmm -name '*.c' | sort))
$(BUILD)/analyze/%.log: %.c
	@mkdir -p $(dir $@)
	@echo "  ANALYZE $<"
	@$(CC) $(CFLAGS) -fanalyzer -MT $@ -MF $(@:.log=.d) -c $< -o /dev/null >$@.tmp 2>&1 || true
	@mv $@.tmp $@

do-analyze: $(ANALYZE_LOGS)
	@if grep -q . $^; then cat $^; echo "analyze: findings in $$(grep -l . $^ | wc -l) of $(words $^) VMM sources"; \
	 exit 1; fi
	@echo "analyze: $(words $^) VMM sources, no findings (gcc -fanalyzer)"

do-test: $(UNIT_TESTS) $(FUZZERS) $(ISO) $(HOST_TOOLS) $(ANALYZE_LOGS)
	@PTV_ANALYZE_LOGS="$(ANALYZE_LOGS)" tools/run-tests.sh $(UNIT_TESTS)

do-bench: $(ISO) $(HOST_TOOLS)
	@tools/bench.sh

# perf record -e intel_pt//u in the Linux guest, per emulated-PT engine (slow: one Linux boot each).
.PHONY: bench-linux
bench-linux: deps
	@$(MAKE) --no-print-directory $(ELF)
	@tools/bench-linux.sh

# ---- the Linux test image: Debian's kernel and an initramfs with perf (tools/mk-linux-image.sh) ----
.PHONY: linux-image run-linux-bare run-linux
LINUX_IMAGE := $(BUILD)/linux/initrd.cpio.gz
linux-image: deps
	@$(MAKE) --no-print-directory $(LINUX_IMAGE)
$(LINUX_IMAGE): tools/mk-linux-image.sh tools/mkcpio.py $(wildcard guest/linux/*)
	@echo "  IMAGE   $(BUILD)/linux"
	@tools/mk-linux-image.sh $(BUILD)/linux

# Debian's kernel as a ptvisor guest, at a busybox shell on the terminal (tools/run-linux.sh).
run-linux: linux-image
	@$(MAKE) --no-print-directory do-iso
	tools/run-linux.sh

# Boots it on bare Bochs (no ptvisor; no Intel PT there, so it ends with exit status 2).
run-linux-bare: linux-image
	tools/run-linux-bare.sh --console || [ $$? -eq 2 ]

clean:
	rm -rf $(BUILD)

# build/linux-cache holds unpacked Debian packages, whose /etc has directories named *.d.
-include $(shell find $(BUILD) -path $(BUILD)/linux-cache -prune -o -name '*.d' -type f -print 2>/dev/null)
