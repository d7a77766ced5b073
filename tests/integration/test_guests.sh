# Seven guests at once in Bochs: every exit handler, both multiboot protocols, ELF32 and ELF64 (which
# enters long mode itself), EPT isolation between two guests, and a triple-faulting guest that stops
# alone while the others go on.
source "$(dirname "$0")/lib.sh"
G=build/guest
guest_iso "$TMP/guests.iso" $G/hello.elf $G/hello-mb1.elf $G/exits.elf $G/isolation.elf $G/triplefault.elf \
  $G/elf64.elf <<'MODS'
hello.elf name=hello
hello-mb1.elf name=hello-mb1 mem=8M
exits.elf name=exits pt=off
isolation.elf name=iso-a -- peer=iso-b
isolation.elf name=iso-b -- peer=iso-a
triplefault.elf name=tf
elf64.elf name=elf64
MODS
tools/run-bochs.sh --iso "$TMP/guests.iso" --serial "$TMP/serial.log" --timeout 240
rc=$?
L=$TMP/serial.log
keep_log "$L" guests.serial.log
expect_status "$rc" 1 "ptvisor reports failure because one guest triple-faulted"
expect "$L" 'guests: 7 of 7 started' "seven guests started"
expect "$L" 'guest elf64: ELF64 multiboot2 kernel' "ELF64 image recognised"
expect "$L" '^\[elf64\] elf64: running in 64-bit mode \(EFER.LMA=1\)' "the ELF64 kernel switched itself to long mode"
expect "$L" 'guest hello-mb1: ELF32 multiboot1 kernel' "multiboot1 image recognised"
expect "$L" 'guest hello: ELF32 multiboot2 kernel' "multiboot2 image recognised"
guest_done "$L" hello 28
guest_done "$L" hello-mb1 27
guest_done "$L" exits 115
guest_done "$L" iso-a 18
guest_done "$L" iso-b 18
expect "$L" '^\[hello\] hello from hello' "hello greets by its INFO name"
expect "$L" '^\[exits\] \(console\) console says hi' "console-write hypercall printed with the guest name"
expect "$L" 'guest exits: IN from unclaimed port 0x2f8 reads all ones \(reported once per port\)' "unclaimed port reported"
expect "$L" 'guest iso-a: 4-byte read at GPA 0x1000000 outside its RAM: reads all ones' "read beyond RAM emulated"
expect "$L" 'guest exits: 4-byte read at GPA 0xc0000000 outside its RAM: reads all ones' "unbacked GPA 0xc0000000 reported"
expect "$L" '^\[exits\] PASS: mem: lock or \[m\], eax: EAX 0x1 ECX 0x0 flags 0x84 as on all-ones RAM' \
  "LOCK OR on unbacked memory: result and flags as on all-ones RAM"
expect "$L" '^\[exits\] PASS: mem: std; rep movsw \(3 from unbacked\): ECX 0, ESI/EDI moved -6/-6' \
  "REP MOVSW backwards from unbacked memory"
expect "$L" '^\[exits\] PASS: mem: shl dword \[m\], 1: EAX 0x0 ECX 0x0 flags 0x81 as on all-ones RAM' \
  "SHL by 1 on unbacked memory: CF and SF, as bare Bochs"
expect "$L" '^\[exits\] PASS: mem: lock cmpxchg \[m\], ecx \(eax = 0\): EAX 0xffffffff ECX 0x1234 flags 0x11' \
  "LOCK CMPXCHG on unbacked memory loads the all ones"
expect "$L" '^\[exits\] PASS: mem: push imm; pop dword \[m\]: ESP moved 0, \[m\] still all ones' \
  "POP to unbacked memory moves ESP back and drops the write"
expect "$L" '^\[exits\] PASS: mem: or dword \[0xfee000f0\], 0x100 sets SVR.8' "OR on the APIC SVR enables the APIC"
expect_not "$L" '^\[exits\] FAIL: mem:' "every memory-operand form on unbacked memory as on all-ones RAM"
expect "$L" 'guest tf: stopped: triple fault at RIP' "triple fault stops that guest"
for g in hello hello-mb1 exits iso-a iso-b elf64; do
  expect "$L" "guest $g: stopped: wrote 0 to the isa-debug-exit port 0xf4 \(status 0" "guest $g exits with status 0"
done
tf=$(line_of "$L" 'guest tf: stopped')
last=$(line_of "$L" 'guest iso-b: stopped')
if [ "$tf" -gt 0 ] && [ "$last" -gt "$tf" ]; then pass "other guests go on after the triple fault"; else fail "ordering of tf ($tf) and iso-b ($last) stops"; fi
a_first=$(line_of "$L" '^\[iso-a\] ')
b_first=$(line_of "$L" '^\[iso-b\] ')
a_done=$(line_of "$L" '^\[iso-a\] done')
if [ "$b_first" -gt 0 ] && [ "$b_first" -lt "$a_done" ] && [ "$a_first" -lt "$b_first" ]; then
  pass "iso-a and iso-b ran concurrently (iso-b started before iso-a finished)"
else
  fail "no interleaving of iso-a and iso-b (first a $a_first, first b $b_first, a done $a_done)"
fi
expect "$L" '^  tf +status -1 ' "summary lists tf with status -1"
expect "$L" 'VMXOFF succeeded' "VMXOFF after all guests ended"
expect_not "$L" 'PANIC|unexpected exception|no handler for exit' "no VMM error"
