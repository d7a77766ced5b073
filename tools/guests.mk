# Guest images and host tools; later issues add to these lists.
# Test guests: 32-bit multiboot ELF kernels under guest/, each linked from the freestanding guest
# library (guest/lib), vmm/lib/{format,string}.c rebuilt for i386, one multiboot header and its own sources.

GUEST_BUILD   := $(BUILD)/guest
GUEST_CFLAGS  := -std=gnu11 -m32 -march=i686 -O2 -g $(WARN) -ffreestanding -nostdlib -fno-pic -fno-pie \
                 -fno-stack-protector -mgeneral-regs-only -fno-asynchronous-unwind-tables -fno-common \
                 -fno-delete-null-pointer-checks -MMD -MP
GUEST_LDFLAGS := -m elf_i386 -nostdlib -static -z max-page-size=0x1000 -z noexecstack -T guest/guest.ld

# Every guest links these; the header object (mb1 or mb2) is chosen per guest below.
GUEST_LIB_OBJ := $(patsubst guest/%.c,$(GUEST_BUILD)/%.o,$(sort $(wildcard guest/lib/*.c))) \
                 $(GUEST_BUILD)/lib/start.o $(GUEST_BUILD)/lib/isr.o \
                 $(GUEST_BUILD)/vmm/lib/format.o $(GUEST_BUILD)/vmm/lib/string.o

comma     := ,
# The differential conformance kernel: its framework and one file (or a few) per area, C and NASM.
empty     :=
space     := $(empty) $(empty)
CONF_SRCS := $(subst $(space),$(comma),$(basename $(notdir $(sort $(wildcard guest/conf*.c guest/conf*.asm)))))

# name : header : sources under guest/ (without .c) [: link address, default 1 MiB]
GUEST_SPECS := hello:mb2:hello,hello_mb2,hello_mb1 \
               hello-mb1:mb1:hello,hello_mb2,hello_mb1 \
               exits:mb2:exits,exits_msr,exits_io,exits_hc,exits_misc,exits_mem \
               isolation:mb2:isolation,isolation_scan \
               stress:mb2:stress \
               triplefault:mb2:triplefault \
               bench:mb2:bench \
               exitprobe:mb2:exitprobe \
               ptwork:mb2:ptwork,ptwork_load,ptwork_ret,ptwork_lm \
               ptring:mb2:ptring,ptring_lm \
               dregs:mb2:dregs \
               timer:mb2:timer \
               modules:mb2:modules:0x8000 \
               modules-mb1:mb1:modules:0x8000 \
               conf:mb2:$(CONF_SRCS) \
               platdev:mb2:platdev \
               repfreeze:mb2:repfreeze \
               share:mb2:share \
               hostile:mb2:hostile,hostile_io,hostile_pt

guest_field  = $(word $(2),$(subst :, ,$(1)))
guest_objs   = $(patsubst %,$(GUEST_BUILD)/%.o,$(subst $(comma), ,$(call guest_field,$(1),3)))

define guest_rule
$(GUEST_BUILD)/$(call guest_field,$(1),1).elf: $(GUEST_BUILD)/lib/$(call guest_field,$(1),2)_header.o \
		$(call guest_objs,$(1)) $(GUEST_LIB_OBJ) guest/guest.ld
	@echo "  LD32    $$@"
	@$$(LD) $(if $(call guest_field,$(1),4),--defsym=GUEST_BASE=$(call guest_field,$(1),4)) $$(GUEST_LDFLAGS) \
		-o $$@ $(GUEST_BUILD)/lib/$(call guest_field,$(1),2)_header.o \
		$(call guest_objs,$(1)) $(GUEST_LIB_OBJ)
endef
$(foreach s,$(GUEST_SPECS),$(eval $(call guest_rule,$(s))))

GUEST_BINS := $(foreach s,$(GUEST_SPECS),$(GUEST_BUILD)/$(call guest_field,$(s),1).elf)

# The same workload linked at 6 MiB, so two guests tracing at once have disjoint code addresses.
$(GUEST_BUILD)/ptwork-hi.elf: $(GUEST_BUILD)/lib/mb2_header.o $(GUEST_BUILD)/ptwork.o $(GUEST_BUILD)/ptwork_load.o \
		$(GUEST_BUILD)/ptwork_ret.o \
		$(GUEST_BUILD)/ptwork_lm.o $(GUEST_LIB_OBJ) guest/guest.ld
	@echo "  LD32    $@"
	@$(LD) --defsym=GUEST_BASE=0x600000 $(GUEST_LDFLAGS) -o $@ $(GUEST_BUILD)/lib/mb2_header.o \
		$(GUEST_BUILD)/ptwork.o $(GUEST_BUILD)/ptwork_load.o $(GUEST_BUILD)/ptwork_ret.o $(GUEST_BUILD)/ptwork_lm.o \
		$(GUEST_LIB_OBJ)
GUEST_BINS += $(GUEST_BUILD)/ptwork-hi.elf
HOST_TOOLS :=
include tools/ptdecode/Makefile.inc

.PHONY: guests
guests: $(GUEST_BINS)

# More specific than the VMM's $(BUILD)/%.o rules, so GNU make prefers these (shortest stem).
$(GUEST_BUILD)/vmm/%.o: vmm/%.c
	@mkdir -p $(dir $@)
	@echo "  CC32    $<"
	@$(CC) $(GUEST_CFLAGS) -Ivmm -c $< -o $@

$(GUEST_BUILD)/%.o: guest/%.c
	@mkdir -p $(dir $@)
	@echo "  CC32    $<"
	@$(CC) $(GUEST_CFLAGS) -Iguest/lib -Ivmm -c $< -o $@

$(GUEST_BUILD)/%.o: guest/%.asm
	@mkdir -p $(dir $@)
	@echo "  NASM32  $<"
	@$(NASM) -f elf32 -g -MD $(@:.o=.d) $< -o $@

# An ELF64 kernel (32-bit multiboot entry, then its own switch to long mode), from one NASM file.
$(GUEST_BUILD)/elf64.o: guest/elf64.asm
	@mkdir -p $(dir $@)
	@echo "  NASM64  $<"
	@$(NASM) -f elf64 $< -o $@
$(GUEST_BUILD)/elf64.elf: $(GUEST_BUILD)/elf64.o guest/elf64.ld
	@echo "  LD64    $@"
	@$(LD) -m elf_x86_64 -nostdlib -static -z max-page-size=0x1000 -z noexecstack -T guest/elf64.ld -o $@ $<
GUEST_BINS += $(GUEST_BUILD)/elf64.elf
