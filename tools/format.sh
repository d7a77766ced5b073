#!/usr/bin/env bash
# Lays out the C sources (vmm/, guest/, tests/, tools/; boot/ is NASM) as .clang-format says.
# Usage: tools/format.sh [--check | --diff] [FILE...]
#   (no option)  rewrite the files in place
#   --check      change nothing; list the files that differ and exit 1 if there are any
#   --diff       as --check, and show what would change
# Without FILEs: every C file git knows or would add under those folders. CLANG_FORMAT names the
# binary (default clang-format-14, else clang-format); the style is tuned for clang-format 14, the
# one Debian 12 ships, and another version may lay out some lines differently.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=fix
case "${1:-}" in
  --check) mode=check; shift ;;
  --diff) mode=diff; shift ;;
  -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) echo "format.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac

cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
  for c in clang-format-14 clang-format; do
    if command -v "$c" >/dev/null; then cf=$c; break; fi
  done
fi
if [ -z "$cf" ]; then
  echo "format.sh: no clang-format (tools/deps.sh installs it)" >&2
  exit 2
fi
[ -f .clang-format ] || { echo "format.sh: no .clang-format at the top of the tree" >&2; exit 2; }
ver=$("$cf" --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
[ "$ver" = 14 ] || echo "format.sh: warning: $cf is version ${ver:-unknown}; .clang-format is tuned for 14" >&2

if [ $# -gt 0 ]; then
  files=("$@")
elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- \
                         'vmm/*.[ch]' 'guest/*.[ch]' 'tests/*.[ch]' 'tools/*.[ch]' | sort -u)
else
  mapfile -t files < <(find vmm guest tests tools -name '*.[ch]' | sort)
fi
existing=()
for f in "${files[@]}"; do [ -f "$f" ] && existing+=("$f"); done   # a deleted file git still lists
files=("${existing[@]}")
jobs=$(nproc 2>/dev/null || echo 2)

if [ "$mode" = fix ]; then
  printf '%s\0' "${files[@]}" | xargs -0 -r -P "$jobs" -n 16 "$cf" -i --style=file
  exit 0
fi

# The files whose formatted text differs from what is on disk: clang-format --dry-run names each
# with an error at its first difference. Any other error (a file it cannot read or parse) fails.
batch='"$0" --style=file --dry-run -Werror --ferror-limit=1 "$@" 2>&1 | awk "
  /:[0-9]+:[0-9]+: error: code should be clang-formatted/ {
    sub(/:[0-9]+:[0-9]+: error: code should be clang-formatted.*/, \"\"); print; skip = 2; next
  }
  skip > 0 { skip--; next }   # the quoted source line and its caret
  { print > \"/dev/stderr\"; bad = 1 }
  END { exit bad }"'
list=$(mktemp)
trap 'rm -f "$list"' EXIT
if ! printf '%s\0' "${files[@]}" | xargs -0 -r -P "$jobs" -n 16 sh -c "$batch" "$cf" >"$list"; then
  echo "format: $cf failed (above)" >&2
  exit 2
fi
mapfile -t differ < <(sort -u "$list")

if [ ${#differ[@]} -eq 0 ]; then
  echo "format: ${#files[@]} files as .clang-format lays them out"
  exit 0
fi
echo "format: ${#differ[@]} of ${#files[@]} files differ from .clang-format (tools/format.sh rewrites them):"
printf '  %s\n' "${differ[@]}"
if [ "$mode" = diff ]; then
  for f in "${differ[@]}"; do
    "$cf" --style=file "$f" | diff -u --label "a/$f" --label "b/$f" "$f" - || true
  done
fi
exit 1
