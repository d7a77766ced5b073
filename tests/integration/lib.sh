# Shared helpers for integration tests: each check prints one PASS:/FAIL:/SKIP: line.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
ELF=build/ptvisor.elf
ISO=build/ptvisor.iso
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
skip() { echo "SKIP: $*"; }

# expect FILE REGEX DESCRIPTION: the serial log has a line matching REGEX.
expect() {
  if tr -d '\r' <"$1" | grep -aE -- "$2" >/dev/null; then pass "$3"; else fail "$3 (no line matching '$2' in $(basename "$1"))"; fi
}

expect_not() {
  if tr -d '\r' <"$1" | grep -aE -- "$2" >/dev/null; then
    fail "$3 (unexpected: $(tr -d '\r' <"$1" | grep -aE -- "$2" | head -n 1))"
  else
    pass "$3"
  fi
}

# expect_status GOT WANT DESCRIPTION
expect_status() {
  if [ "$1" -eq "$2" ]; then pass "$3 (status $1)"; else fail "$3 (status $1, expected $2)"; fi
}

# make_iso OUT "EXTRA CMDLINE" [MODULES_CFG FILES...]: an image whose default entry boots at once.
make_iso() {
  local out=$1 cmd=$2 cfg=${3:-}
  shift 2; [ $# -gt 0 ] && shift
  PTV_GRUB_TIMEOUT=0 PTV_CMDLINE="$cmd" PTV_MODULES_CFG="$cfg" tools/mkiso.sh "$out" "$ELF" "$@" >/dev/null
}

# Keep the serial log of a run next to the test log for post-mortems.
keep_log() {
  mkdir -p build/test-logs
  cp "$1" "build/test-logs/$2"
}

# guest_iso OUT FILES... : an image whose default entry loads the modules listed (one per line) on stdin,
# e.g. "hello.elf name=hello"; each FILE is copied into /boot of the image.
guest_iso() {
  local out=$1
  shift
  local cfg=$TMP/modules.cfg
  : >"$cfg"
  while read -r mod args; do
    [ -n "$mod" ] && printf '\tmodule2 /boot/%s %s\n' "$mod" "$args" >>"$cfg"
  done
  make_iso "$out" "${PTV_TEST_CMDLINE:-}" "$cfg" "$@"
}

# guest_done LOG NAME N: the guest printed "done: N passed, 0 failed".
guest_done() {
  expect "$1" "^\[$2\] done: $3 passed, 0 failed" "guest $2: $3 checks passed, none failed"
}

# line_of LOG REGEX: line number of the first match (0 if none).
line_of() {
  tr -d '\r' <"$1" | awk -v re="$2" '!found && $0 ~ re { print NR; found = 1 } END { if (!found) print 0 }'
}

# expect_before LOG FIRST LATER WHAT: a line matching FIRST comes before one matching LATER.
expect_before() {
  local a b
  a=$(line_of "$1" "$2")
  b=$(line_of "$1" "$3")
  if [ "$a" -gt 0 ] && [ "$b" -gt "$a" ]; then pass "$4"; else fail "$4 (lines $a and $b)"; fi
}

# bare_iso OUT KERNEL [KERNEL ARGS...]: an image whose GRUB boots KERNEL itself, no ptvisor, with the
# modules listed on stdin, one "HOST_PATH [string]" per line (each file is copied into /boot). BARE_MB=1
# loads it with GRUB's multiboot/module commands instead of multiboot2/module2, BARE_LINUX=1 with its
# linux/initrd commands (a bzImage and its initrd). For comparing what a
# kernel reports on bare hardware with what it reports as a ptvisor guest.
bare_iso() {
  local out=$1 kernel=$2
  shift 2
  local stage=$TMP/bare-stage boot=multiboot2 mod=module2 path args
  [ "${BARE_MB:-2}" = 1 ] && boot=multiboot mod=module
  [ "${BARE_LINUX:-0}" = 1 ] && boot=linux mod=initrd
  rm -rf "$stage"
  mkdir -p "$stage/boot/grub"
  cp "$kernel" "$stage/boot/"
  {
    printf 'serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1\n'
    printf 'terminal_input serial console\nterminal_output serial console\nset timeout=0\nset default=0\n'
    printf 'menuentry "bare" {\n\t%s /boot/%s %s\n' "$boot" "$(basename "$kernel")" "$*"
    while read -r path args; do
      [ -n "$path" ] || continue
      cp "$path" "$stage/boot/"
      printf '\t%s /boot/%s %s\n' "$mod" "$(basename "$path")" "$args"
    done
    printf '\tboot\n}\n'
  } >"$stage/boot/grub/grub.cfg"
  grub-mkrescue -o "$out" --install-modules="multiboot multiboot2 linux normal configfile serial terminal iso9660 part_msdos" \
    --fonts= --locales= --themes= --compress=xz "$stage" >/dev/null 2>"$TMP/bare-mkrescue.log" ||
    { cat "$TMP/bare-mkrescue.log" >&2; return 1; }
}

# verdicts LOG [GUEST]: a test kernel's verdict lines (those matching $VERDICT_RE, by default PASS:, FAIL:,
# done: and modules: lines), without GUEST's "[GUEST] " prefix when given (a ptvisor run), else as printed.
verdicts() {
  local re=${VERDICT_RE:-'^(modules: |PASS: |FAIL: |done: )'}
  if [ $# -gt 1 ]; then
    tr -d '\r' <"$1" | sed -n "s/^\[$2\] //p" | grep -aE -- "$re"
  else
    tr -d '\r' <"$1" | grep -aE -- "$re"
  fi
}
