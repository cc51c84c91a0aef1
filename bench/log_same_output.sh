#!/usr/bin/env bash
# Checks that two builds of the log sensor write the same bytes for the same input: a change made
# for speed must not change a single event. Compares `soc-log-sensor --read FILE` of both on
#   - both log_bench.sh mixes (auth and varied, LINES lines each, its own generator),
#   - every file of ../shared/testdata/logs and tests/e2e/log_samples,
#   - hostile inputs (below), at the default --max-line-bytes and with whole 2 MiB lines.
#
#   bench/log_same_output.sh BEFORE_BINARY BEFORE_DECODERS [AFTER_BINARY [AFTER_DECODERS [LINES]]]
#   e.g. bench/log_same_output.sh build-before/soc-log-sensor build-before/decoders
#        (AFTER defaults to build/sensors/log/soc-log-sensor and sensors/log/decoders; LINES 20000)
#
# Lines that carry no time get the time of reading ("now"), which differs from run to run: the
# @timestamp of today's or yesterday's date (UTC) is replaced by NOW in both outputs before they
# are compared. Exit 0 when every input gave identical output, 1 otherwise (the first differing
# lines are shown).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
before=${1:?usage: log_same_output.sh BEFORE_BINARY BEFORE_DECODERS [AFTER_BINARY [AFTER_DECODERS [LINES]]]}
before_dec=${2:?before decoders}
after=${3:-$repo/build/sensors/log/soc-log-sensor}
after_dec=${4:-$repo/sensors/log/decoders}
lines=${5:-20000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/soc-log-same.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/in"

KEEP="$tmp/in/mix-auth.log" MIX=auth "$repo/bench/log_bench.sh" "$(dirname "$(dirname "$(dirname "$after")")")" "$lines" 0 2>/dev/null
KEEP="$tmp/in/mix-varied.log" MIX=varied "$repo/bench/log_bench.sh" "$(dirname "$(dirname "$(dirname "$after")")")" "$lines" 0 2>/dev/null

# Hostile inputs: long lines of what the decoders look for, escapes the URL normalization and the
# JSON encoder must handle, and lines that pass a decoder's prefilter and prefix and fail late.
python3 - "$tmp/in" "$repo/sensors/log/decoders" <<'PY'
import glob, os, random, re, sys
out, decoders = sys.argv[1], sys.argv[2]
lits = sorted({m.strip().strip('"').strip("'") for f in glob.glob(f"{decoders}/*.yaml")
               for m in re.findall(r"prefilter:\s*('[^']*'|\"[^\"]*\"|\S+)", open(f).read())})
def w(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
mib = 1 << 20
# one 1 MiB line of prefilter literals
s = " ".join(lits).encode()
w("hostile-literals.log", (s * (mib // len(s) + 1))[:mib] + b"\n")
# one access-log line with a 1 MiB URL: escapes, double escapes, dot segments, backslashes
url = (b"/a/%2e%2e/b/..;x/%252e%252e%252f/%00/./c\\d/%41%zz+%2B?" * (mib // 48))[:mib]
w("hostile-url.log", b'192.0.2.1 - - [10/Oct/2023:13:55:36 +0000] "GET ' + url + b' HTTP/1.1" 404 0 "-" "x"\n')
# every byte value in messages and URLs (control bytes, quotes, backslashes, invalid UTF-8), plain,
# through syslog and as access-log URLs, and JSON lines with escapes
rnd = random.Random(15)
lines = []
for i in range(2000):
    junk = bytes(rnd.randrange(1, 256) for _ in range(rnd.randrange(0, 120))).replace(b"\n", b" ")
    lines.append(b"Oct 10 13:55:36 host sshd[42]: Failed password for " + junk + b" from 192.0.2.%d port 22 ssh2" % (i % 250))
    lines.append(b"192.0.2.%d - u%s [10/Oct/2023:13:55:36 +0000] \"GET /%s HTTP/1.1\" 401 5 \"%s\" \"%s\"" %
                 (i % 250, junk[:8].replace(b" ", b"_"), junk.replace(b" ", b"%20").replace(b'"', b"%22"), junk[:20].replace(b'"', b"'"), junk[-20:].replace(b'"', b"'")))
    lines.append(junk)
    lines.append(b'{"message":"a\\u0001b\\"c\\\\d\\ud83d\\ude00\\u00e9 %d","source.ip":"192.0.2.1","x.y":[1,2.5,true,"s\\t"],"f":1e300}' % i)
    lines.append(b'{"MESSAGE":"Failed password for root from 2001:db8::%x port 22 ssh2","SYSLOG_IDENTIFIER":"sshd","_PID":"7"}' % i)
w("hostile-bytes.log", b"\n".join(lines) + b"\n")
# 1,000 near-match lines of 4 KiB
shapes = [b"date=2023-01-01 time=00:00:00 devname=fw logid=0000000013 type=traffic ",
          b"2014/04/16 22:00:45 [error] 1234#0: *1 user \"a\" was not found in \"/x\", client: ",
          b"2023-01-01 00:00:00,000 fail2ban.actions [1]: NOTICE [sshd] Ban ",
          b"Oct 10 13:55:36 host sshd[42]: Failed password for invalid user ",
          b"type=USER_AUTH msg=audit(1.2:3): pid=1 uid=0 auid=1 ses=1 msg='op=PAM:authentication acct=\"x\" res=failed ",
          b"Oct 10 13:55:36 host sshd[42]: Invalid user ",
          b"192.0.2.1 - - [10/Oct/2023:13:55:36 +0000] \"GET /"]
near = []
for i in range(1000):
    sh = shapes[i % len(shapes)]
    near.append(sh + (b"a " * 2048)[: 4096 - len(sh)])
w("hostile-near.log", b"\n".join(near) + b"\n")
PY

inputs=("$tmp"/in/*.log)
while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$repo/../shared/testdata/logs" "$repo/tests/e2e/log_samples" -type f ! -name '*.md' -print0 | sort -z)

today=$(date -u +%Y-%m-%d); yesterday=$(date -u -d yesterday +%Y-%m-%d)
norm() { sed -E "s/\"@timestamp\":\"($today|$yesterday)T[0-9:.]+Z\"/\"@timestamp\":\"NOW\"/g"; }
same=0; differ=0; events=0
for f in "${inputs[@]}"; do
  for opt in "" "--max-line-bytes 2097152"; do
    [[ -n $opt && $f != */hostile-* ]] && continue
    # shellcheck disable=SC2086
    SOC_LOG_DECODERS=$before_dec "$before" --read "$f" $opt 2>"$tmp/b.err" | norm >"$tmp/b.json" || true
    # shellcheck disable=SC2086
    SOC_LOG_DECODERS=$after_dec "$after" --read "$f" $opt 2>"$tmp/a.err" | norm >"$tmp/a.json" || true
    if cmp -s "$tmp/b.json" "$tmp/a.json" && cmp -s "$tmp/b.err" "$tmp/a.err"; then
      same=$((same + 1)); events=$((events + $(wc -l <"$tmp/a.json")))
    else
      differ=$((differ + 1))
      echo "DIFFERENT: $f $opt" >&2
      diff "$tmp/b.json" "$tmp/a.json" | head -6 | cut -c1-300 >&2 || true
      diff "$tmp/b.err" "$tmp/a.err" | head -4 >&2 || true
    fi
  done
done
echo "log_same_output: ${#inputs[@]} inputs (4 hostile also with 2 MiB lines): $same runs identical ($events events), $differ different"
((differ == 0))
