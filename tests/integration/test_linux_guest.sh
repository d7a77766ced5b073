# Debian's 6.1 kernel, unmodified, as a ptvisor guest in Bochs: it boots to its busybox init, records
# `perf record -e intel_pt//u` of a workload through the emulated Intel PT backend, decodes it with
# `perf script` inside the guest and checks that the decoded calls are the ones the workload printed;
# then it powers off. Beside it a multiboot guest traces itself at the same time: each trace must
# decode to its own flow only (trace isolation with a real guest).
source "$(dirname "$0")/lib.sh"
LX=build/linux
if [ ! -f $LX/vmlinuz ] || [ ! -f $LX/initrd.cpio.gz ]; then
  if ! make --no-print-directory linux-image >"$TMP/image.log" 2>&1; then
    if grep -q 'registry unreachable' "$TMP/image.log"; then
      skip "Linux guest: no Debian package registry to build the test image from"
      exit 0
    fi
    tail -n 20 "$TMP/image.log"
    fail "Linux test image built (make linux-image)"
    exit 0
  fi
fi
G=build/guest
guest_iso "$TMP/lx.iso" $LX/vmlinuz $LX/initrd.cpio.gz $G/ptwork.elf <<'MODS'
vmlinuz name=linux mem=384M -- console=ttyS0 earlyprintk=serial acpi=off pci=off tsc=reliable clocksource=tsc nokaslr
initrd.cpio.gz initrd-of=linux
ptwork.elf name=tracer pt_riplog=on -- case=topa iterations=900 longmode=on delay=30000 hold=250000 tick=2000
MODS
tools/run-bochs.sh --iso "$TMP/lx.iso" --serial "$TMP/serial.log" --megs 768 --timeout 900
rc=$?
L=$TMP/serial.log
keep_log "$L" linux-guest.serial.log
expect_status "$rc" 0 "ptvisor exits 0 after the Linux guest powered off"
expect "$L" '^\[linux\] .*Linux version 6\.1\.' "Debian's 6.1 kernel boots as a guest"
expect "$L" 'ptv-linux: init' "the kernel reaches the busybox init"
expect "$L" 'ptv-linux: intel_pt PMU type [0-9]+' "the guest's intel_pt PMU registered"
expect "$L" 'ptv-linux: PASS' "perf's decoded calls equal the workload's printed sequence"
expect "$L" 'guest linux: stopped: wrote 0 to the isa-debug-exit port' "the Linux guest powered off with status 0"
expect_not "$L" 'Oops|BUG:|Kernel panic|unchecked MSR|PANIC' "no kernel oops or VMM crash"
# The tracer sleeps 30 s of TSC time (the Linux guest is still booting: its init comes at ~47 s of uptime),
# sets TraceEn and holds it 250 s (a traced STI;HLT sleep, woken every 2 s: 125 traced timer interrupts
# beside a busy guest; block-engine breakpoints missed after a guest switch showed up here) before its
# workload, so its tracing spans
# perf's in the Linux guest however fast ptvisor makes that (~50-200 s with the kernel native under
# //u, ~165-340 s when it was stepped); the order of the lines shows the overlap: the tracer starts
# before the Linux guest's last TraceEn clear and stops after its first.
lx_first=$(line_of "$L" 'guest linux: PT tracing stopped')
lx_last=$(tr -d '\r' <"$L" | grep -anE 'guest linux: PT tracing stopped' | tail -n 1 | cut -d: -f1)
tr_start=$(line_of "$L" 'tracer. ptwork: tracing$')
tr_stop=$(line_of "$L" 'guest tracer: PT tracing stopped')
if [ "$lx_first" -gt 0 ] && [ "$tr_start" -gt 0 ] && [ "$tr_start" -lt "${lx_last:-0}" ] && [ "$tr_stop" -gt "$lx_first" ]; then
  pass "the tracer guest traced while perf in the Linux guest did (lines $tr_start-$tr_stop, linux $lx_first-$lx_last)"
else
  fail "no overlap of the two guests' tracing (linux $lx_first-${lx_last:-0}, tracer $tr_start-$tr_stop)"
fi
guest_done "$L" tracer 26
expect_not "$L" "off the decoded path" "the block engines never lost their path (no breakpoint missed)"
python3 tools/ptverify.py "$L" tracer $G/ptwork.elf --outdir build/test-logs/linux-tracer
