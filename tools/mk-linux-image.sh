#!/usr/bin/env bash
# Builds the Linux test image from Debian packages (no kernel build): Debian's kernel as OUTDIR/vmlinuz
# and an initramfs OUTDIR/initrd.cpio.gz holding busybox, perf with every library it loads, the static
# workload (guest/linux/workload.c) and guest/linux/init as /init.
# Usage: tools/mk-linux-image.sh OUTDIR
# Packages come from `apt-get download` of this machine's apt sources (Debian 12) into
# build/linux-cache/debs and are unpacked with `dpkg -x`: nothing is installed. Exit status 3 when the
# package index cannot be reached (the tests skip on it), 1 on any other failure.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
root=$(cd "$(dirname "$0")/.." && pwd)
cache=$root/build/linux-cache
debs=$cache/debs
stage=$out/initramfs
mkdir -p "$debs" "$out"
start=$EPOCHREALTIME

die() { echo "mk-linux-image: $*" >&2; exit 1; }

# fetch PKG...: each package's .deb into the cache unless it is there already; prints their paths.
# One apt-cache call for all (each call reads the whole index: ~0.7 s).
fetch() {
  local pkg ver file missing=() paths=()
  declare -A cand=()
  while read -r pkg ver; do cand[$pkg]=$ver; done < <(apt-cache policy "$@" 2>/dev/null |
    awk '/^[^ ]/ { sub(/:$/, ""); p = $0 } $1 == "Candidate:" && $2 != "(none)" { print p, $2 }')
  for pkg in "$@"; do
    ver=${cand[$pkg]:-}
    [ -n "$ver" ] || { echo "mk-linux-image: apt knows no package $pkg (apt-get update?)" >&2; exit 3; }
    # apt names the file PKG_VERSION_ARCH.deb with the ':' of an epoch written as %3a.
    file=$(ls "$debs/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n 1 || true)
    [ -n "$file" ] || missing+=("$pkg=$ver")
    paths+=("$debs/${pkg}_${ver//:/%3a}_")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    (cd "$debs" && apt-get download -q "${missing[@]}" >"$cache/download.log" 2>&1) ||
      { cat "$cache/download.log" >&2; echo "mk-linux-image: apt-get download failed" >&2; exit 3; }
  fi
  for file in "${paths[@]}"; do
    ls "$file"*.deb | head -n 1
  done
}

# The versioned image package that the linux-image-amd64 metapackage depends on.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
[ -n "$kpkg" ] || { echo "mk-linux-image: apt does not know linux-image-amd64 (apt-get update?)" >&2; exit 3; }

# perf's library packages: its dependency closure, keeping only shared-library packages (lib*, zlib1g);
# the closure includes interpreters and tools perf never loads.
libpkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances linux-perf | grep -E '^(lib|zlib1g$)' | sort -u)

echo "mk-linux-image: $kpkg, busybox-static, linux-perf and $(echo "$libpkgs" | wc -l) library packages"
fetch "$kpkg" busybox-static linux-perf $libpkgs >"$cache/files.list"
mapfile -t files <"$cache/files.list"

# Unpack everything into one tree (again only when the package set changed); the image takes only
# what it needs from there.
tree=$cache/tree
if ! cmp -s "$cache/files.list" "$tree/.unpacked"; then
  rm -rf "$tree"
  mkdir -p "$tree"
  for f in "${files[@]}"; do
    case $(basename "$f") in
      # Only the kernel itself from the image package: its modules are ~400 MiB unpacked.
      linux-image-*) dpkg-deb --fsys-tarfile "$f" | tar -x -C "$tree" --wildcards './boot/vmlinuz-*' ;;
      *) dpkg-deb -x "$f" "$tree" ;;
    esac
  done
  cp "$cache/files.list" "$tree/.unpacked"
fi

vmlinuz=$(ls "$tree"/boot/vmlinuz-* | head -n 1)
[ -f "$vmlinuz" ] || die "no /boot/vmlinuz-* in $kpkg"
cp "$vmlinuz" "$out/vmlinuz"

perf=$tree/usr/bin/perf
[ -f "$perf" ] && ! [ -L "$perf" ] || die "no /usr/bin/perf in linux-perf"
busybox=$tree/bin/busybox
[ -f "$busybox" ] || die "no /bin/busybox in busybox-static"

rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib/x86_64-linux-gnu,lib64,dev,proc,sys,tmp,root,etc}
cp "$busybox" "$stage/bin/busybox"
cp "$perf" "$stage/usr/bin/perf"
cp "$root/guest/linux/init" "$stage/init"
cp "$root/guest/linux/calls.awk" "$stage/calls.awk"
chmod 755 "$stage/init"
gcc -static -O1 -g -fno-inline -Wall -Wextra -Werror -o "$stage/workload" "$root/guest/linux/workload.c"
# The kernel and busybox want these to exist; perf reads /etc/passwd only for names.
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\n' >"$stage/etc/group"

# Every shared object perf needs, found by following DT_NEEDED through the unpacked tree (not the
# host's libraries, so the image is the same on any Debian 12 machine).
libdirs=("$tree/lib/x86_64-linux-gnu" "$tree/usr/lib/x86_64-linux-gnu")
declare -A have=()
queue=("$stage/usr/bin/perf")
while [ ${#queue[@]} -gt 0 ]; do
  obj=${queue[0]}
  queue=("${queue[@]:1}")
  for soname in $(readelf -d "$obj" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -n "${have[$soname]:-}" ] && continue
    have[$soname]=1
    found=""
    for d in "${libdirs[@]}"; do
      [ -e "$d/$soname" ] && { found=$d/$soname; break; }
    done
    [ -n "$found" ] || die "no package in perf's dependencies provides $soname"
    cp -L "$found" "$stage/lib/x86_64-linux-gnu/$soname"
    queue+=("$stage/lib/x86_64-linux-gnu/$soname")
  done
done
# The loader named in perf's PT_INTERP.
interp=$(readelf -l "$perf" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ "$interp" = /lib64/ld-linux-x86-64.so.2 ] || die "perf wants the loader $interp"
cp -L "$tree/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$stage/lib64/ld-linux-x86-64.so.2"

python3 "$root/tools/mkcpio.py" "$stage" "$out/initrd.cpio.gz" \
  --dev dev/console:c:5:1 --dev dev/ttyS0:c:4:64 --dev dev/null:c:1:3:666 --dev dev/port:c:1:4

kver=${kpkg#linux-image-}
printf '%s\n' "$kver" >"$out/kernel-version"
awk -v a="$start" -v b="$EPOCHREALTIME" -v k="$kver" -v n=${#have[@]} \
  -v kb="$(stat -c %s "$out/vmlinuz")" -v ib="$(stat -c %s "$out/initrd.cpio.gz")" \
  -v sb="$(du -sb "$stage" | cut -f1)" 'BEGIN {
  printf "mk-linux-image: kernel %s (%.1f MiB), initramfs %.1f MiB (%.1f MiB unpacked, perf + %d libraries) in %.1f s\n",
    k, kb / 1048576, ib / 1048576, sb / 1048576, n, b - a }'
