# make run-kvm on a machine that cannot run it must say why (no /dev/kvm, no access, no Intel VMX,
# nested VMX off) and exit 2; on an Intel host with nested VMX it would really boot, which is not
# this test's business.
source "$(dirname "$0")/lib.sh"
if [ -e /dev/kvm ] && [ -r /dev/kvm ] && grep -qw vmx /proc/cpuinfo; then
  skip "this host can run KVM with VMX: run-kvm would boot for real"
  exit 0
fi
tools/run-kvm.sh --iso "$ISO" --timeout 30 >"$TMP/out" 2>&1
rc=$?
expect_status "$rc" 2 "run-kvm refuses with status 2"
expect "$TMP/out" "run-kvm: (/dev/kvm does not exist|/dev/kvm is not accessible|this CPU has no Intel VMX|nested VMX is off)" \
  "the reason is named"
expect "$TMP/out" "make run|kvm_intel|kvm' group" "and what to do about it"
