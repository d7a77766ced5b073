# The VMM's own exceptions: a faulting RDMSR is fixed up through __ex_table, and an unexpected #UD is
# reported with vector, error code, RIP and registers, then ptvisor powers off with status 3 (no triple fault).
# A self-NMI, which is no ToPA PMI, is reported and the VMM goes on.
source "$(dirname "$0")/lib.sh"
make_iso "$TMP/trap.iso" "selftest=trap"
tools/run-bochs.sh --iso "$TMP/trap.iso" --serial "$TMP/serial.log" --timeout 120
rc=$?
L=$TMP/serial.log
keep_log "$L" trap.serial.log
expect_status "$rc" 3 "an unexpected exception ends with the crash status"
expect "$L" 'selftest: RDMSR of a missing MSR faulted and was fixed up' "#GP from RDMSR fixed up"
expect "$L" 'unexpected exception 6 \(#UD invalid opcode\), error code 0x0' "vector and error code reported"
expect "$L" '^  RIP [0-9a-f]{16}  CS 0008' "RIP and CS reported"
expect "$L" '^  RAX [0-9a-f]{16}  RBX' "general registers reported"
expect "$L" '^  CR0 [0-9a-f]{16}  CR3' "control registers reported"
expect "$L" '^ptvisor: exit status 3' "exit status 3 printed"
expect "$L" 'NMI in VMX root with no known source \(not a ToPA PMI\) at RIP 0x[0-9a-f]+; ignored' "a stray NMI reported"
expect "$L" 'selftest: self-NMI sent and returned from' "the VMM goes on after a stray NMI"
