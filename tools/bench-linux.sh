#!/usr/bin/env bash
# make bench-linux: what `perf record -e intel_pt//u` of the Linux test image's workload costs through
# the emulated PT backend, per engine. Debian's kernel boots alone as a ptvisor guest in Bochs once per
# configuration (its /init records, decodes and checks the workload: guest/linux/init); the pt-stats
# lines ptvisor prints at the end of each tracing period (perf toggles TraceEn at every context
# switch) are summed. Bochs's TSC counts instructions, so "TSC while TraceEn=1" is exact; it includes
# kernel code that runs natively at the CPL the filter excludes. Prints a table and writes
# bench/linux.json. Usage: tools/bench-linux.sh [NAME=MODULE-OPTIONS ...] (default: the two engines, the outside view on).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/linux/vmlinuz ] && [ -f build/linux/initrd.cpio.gz ] || make --no-print-directory linux-image
mkdir -p bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=("block=pt_engine=block" "step=pt_engine=step")
for c in "${configs[@]}"; do
  name=${c%%=*} opts=${c#*=}
  printf '\tmodule2 /boot/vmlinuz name=linux mem=384M %s -- console=ttyS0 earlyprintk=serial acpi=off pci=off tsc=reliable clocksource=tsc nokaslr\n\tmodule2 /boot/initrd.cpio.gz initrd-of=linux\n' \
    "$opts" >"$work/$name.cfg"
  PTV_GRUB_TIMEOUT=0 PTV_MODULES_CFG="$work/$name.cfg" tools/mkiso.sh "$work/$name.iso" build/ptvisor.elf \
    build/linux/vmlinuz build/linux/initrd.cpio.gz >/dev/null
  echo "bench-linux: $name ($opts) ..." >&2
  start=$(date +%s)
  tools/run-bochs.sh --iso "$work/$name.iso" --serial "$work/$name.log" --megs 768 --timeout 1500 2>/dev/null || true
  echo "$(($(date +%s) - start))" >"$work/$name.secs"
  cp "$work/$name.log" "build/bench-linux-$name.serial.log"
done
python3 - "$work" "${configs[@]}" <<'PY'
import json, re, sys
work, configs = sys.argv[1], sys.argv[2:]
rows = []
for c in configs:
    name, opts = c.split("=", 1)
    log = open(f"{work}/{name}.log", errors="replace").read()
    t = {"periods": 0}
    for m in re.finditer(r"pt-stats linux (.*)", log):
        t["periods"] += 1
        for k, v in re.findall(r"(\w+)=(\d+)", m.group(1)):
            t[k] = t.get(k, 0) + int(v)
    tr = max(t.get("traced", 0), 1)
    rows.append({"config": name, "options": opts, "passed": "ptv-linux: PASS" in log,
                 "wall_seconds": int(open(f"{work}/{name}.secs").read()),
                 "tracing_periods": t["periods"], "stepped_instructions": t.get("steps", 0),
                 "traced_instructions": t.get("traced", 0), "exits": t.get("exits", 0),
                 "exits_per_traced_instruction": round(t.get("exits", 0) / tr, 3),
                 "tsc_while_traceen": t.get("tsc", 0),
                 "tsc_per_traced_instruction": round(t.get("tsc", 0) / tr, 1),
                 "native_runs": t.get("cpl", 0), "learned_pages": t.get("learned", 0), "trace_bytes": t.get("bytes", 0)})
print("perf record -e intel_pt//u of the Linux test image's workload (Bochs; TSC = instructions):")
print(f"  {'config':<14} {'perf ok':>7} {'periods':>7} {'traced':>8} {'stepped':>9} {'exits':>9} "
      f"{'exits/traced':>12} {'TSC (TraceEn=1)':>16} {'TSC/traced':>11} {'wall s':>6}")
for r in rows:
    print(f"  {r['config']:<14} {'yes' if r['passed'] else 'NO':>7} {r['tracing_periods']:>7} "
          f"{r['traced_instructions']:>8} {r['stepped_instructions']:>9} {r['exits']:>9} "
          f"{r['exits_per_traced_instruction']:>12} {r['tsc_while_traceen']:>16} "
          f"{r['tsc_per_traced_instruction']:>11} {r['wall_seconds']:>6}")
json.dump(rows, open("bench/linux.json", "w"), indent=1)
print("written: bench/linux.json")
sys.exit(0 if all(r["passed"] for r in rows) else 1)
PY
