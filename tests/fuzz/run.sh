#!/usr/bin/env bash
# Runs one fuzz target (tests/fuzz/README.md).
#
#   run.sh regress NAME BINARY   the standalone build of the target on its crash reproducers
#                                (tests/fuzz/regressions/NAME/) and a sample of its seeds
#   run.sh fuzz NAME BINARY      the libFuzzer build for SOC_FUZZ_SECONDS (default 20) on its
#                                seeds; prints and appends to $BUILD/fuzz/coverage.txt the
#                                coverage after the seeds and at the end
#
# Seeds come from ../shared/testdata (captures, logs, Sigma rules) and the repository (examples/,
# rules/); line-oriented targets get inputs of a few lines each. A crash keeps its input as
# $BUILD/fuzz/NAME/crash-* and the message says how to make it a regression test.
set -euo pipefail
mode=$1 name=$2 binary=$3
: "${SRC:?SRC must point at the source tree}"
shared="$SRC/../shared/testdata"
work=$(mktemp -d "${TMPDIR:-/tmp}/soc-fuzz-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT

# make_seeds DIR MAX: writes at most MAX seed files for $name into DIR.
make_seeds() {
  python3 - "$name" "$1" "$2" "$SRC" "$shared" <<'PY'
import glob, os, sys
name, out, limit, src, shared = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
os.makedirs(out, exist_ok=True)
seeds = []
def files(*patterns):
    found = []
    for p in patterns:
        found += sorted(glob.glob(p, recursive=True))
    return [f for f in found if os.path.isfile(f)]
def chunks(paths, lines_per_seed, prefix=b""):
    for p in paths:
        with open(p, "rb") as f:
            lines = f.read().split(b"\n")
        for i in range(0, len(lines), lines_per_seed):
            seeds.append(prefix + b"\n".join(lines[i:i + lines_per_seed]))
logs = files(f"{shared}/logs/**/*.log", f"{shared}/logs/fail2ban/*", f"{src}/examples/logs/**/*.log")
if name == "json_fuzzer":
    chunks(files(f"{src}/examples/events/*.jsonl"), 1)
elif name == "syslog_header_fuzzer":
    chunks(logs, 4)
elif name == "log_decoder_fuzzer":
    chunks(logs, 4, b"\x00")
elif name == "packet_fuzzer":
    for p in files(f"{shared}/pcap/**/*.pcap", f"{shared}/pcap/**/*.pcapng", f"{src}/examples/pcap/*.pcap"):
        if os.path.getsize(p) <= 65536:
            seeds.append(open(p, "rb").read())
elif name == "rule_loader_fuzzer":
    for p in files(f"{shared}/rules/**/*.yml", f"{shared}/rules/**/*.yaml", f"{src}/rules/**/*.yml"):
        seeds.append(open(p, "rb").read())
elif name == "inventory_fuzzer":
    seeds.append(b"\x00" + open(f"{src}/examples/inventory.yaml", "rb").read())
    seeds.append(b"\x01" + open(f"{src}/examples/baseline.yaml", "rb").read())
elif name == "collector_target_fuzzer":
    text = open(f"{src}/examples/etc/soc/collector.yaml", "rb").read()
    seeds.append(text)
    seeds.append(text.replace(b"targets: []\n#  -", b"targets:\n  -").replace(b"\n#  -", b"\n  -"))
# Spread the sample over the sources rather than taking the first files only.
step = max(1, len(seeds) // limit) if limit else 1
for i, s in enumerate(seeds[::step][:limit]):
    with open(os.path.join(out, f"seed-{i:05d}"), "wb") as f:
        f.write(s)
print(f"{min(len(seeds[::step]), limit)} seeds of {len(seeds)}", file=sys.stderr)
PY
}

regressions="$SRC/tests/fuzz/regressions/$name"
case "$mode" in
  regress)
    make_seeds "$work/seeds" 200
    inputs=("$work/seeds")
    [ -d "$regressions" ] && inputs+=("$regressions")
    # Without seeds (wire_fuzzer) and reproducers there is still one input: the empty one.
    : >"$work/seeds/empty"
    exec "$binary" "${inputs[@]}"
    ;;
  fuzz)
    : "${BUILD:?BUILD must point at the meson build directory}"
    seconds=${SOC_FUZZ_SECONDS:-20}
    out="$BUILD/fuzz/$name"
    rm -rf "$out/corpus"
    mkdir -p "$out/corpus"
    make_seeds "$work/seeds" 2000
    dirs=("$out/corpus" "$work/seeds")
    [ -d "$regressions" ] && dirs+=("$regressions")
    max_len=4096
    case "$name" in
      packet_fuzzer) max_len=65536 ;;
      rule_loader_fuzzer|inventory_fuzzer|collector_target_fuzzer) max_len=16384 ;;
    esac
    set +e
    "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
      -print_final_stats=1 -artifact_prefix="$out/" "${dirs[@]}" >"$out/log" 2>&1
    rc=$?
    set -e
    inited=$(grep -m1 -o 'INITED cov: [0-9]* ft: [0-9]*' "$out/log" || echo "INITED cov: ? ft: ?")
    done_line=$(grep -o 'DONE *cov: [0-9]* ft: [0-9]*' "$out/log" | tail -1 || true)
    [ -n "$done_line" ] || done_line=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$out/log" | tail -1 || echo "cov: ? ft: ?")
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/log" | awk '{print $2}' || true)
    seeds=$(ls "$work/seeds" | wc -l)
    line="$name: ${seconds} s, ${runs:-?} runs, $seeds seed inputs; after the seeds ${inited#INITED }; at the end ${done_line#DONE }; corpus $(ls "$out/corpus" | wc -l) new inputs"
    echo "$line"
    echo "$line" >>"$BUILD/fuzz/coverage.txt"
    if [ "$rc" -ne 0 ]; then
      tail -60 "$out/log"
      for a in "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-*; do
        [ -e "$a" ] || continue
        echo "FINDING: $a"
        echo "  reproduce: $binary $a"
        echo "  once fixed, keep it: cp $a $SRC/tests/fuzz/regressions/$name/"
      done
      exit 1
    fi
    ;;
  *) echo "usage: run.sh regress|fuzz NAME BINARY" >&2; exit 2 ;;
esac
