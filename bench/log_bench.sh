#!/usr/bin/env bash
# Log sensor benchmark (issue 4): one auth log, in the same run, through
#   wc -l                                   floor: reading the lines
#   grep -c 'Failed password'               floor: one fixed string
#   fail2ban-regex FILE sshd                the peer (Debian fail2ban), one core
#   soc-log-sensor --read FILE >/dev/null   ours: every line decoded to an ECS event and encoded
#
#   bench/log_bench.sh [BUILD] [LINES] [ROUNDS]      (defaults: build 1000000 3)
#   MIX=varied bench/log_bench.sh ...                the second workload (below)
#   KEEP=/tmp/v.log MIX=varied bench/log_bench.sh build 20000 0   only writes the log (to KEEP)
#
# MIX=auth (default): the log is generated from the sshd sample lines of ../shared/testdata/logs
# (fail2ban's and CrowdSec's), cycled, with the client addresses varied over TEST-NET-1/2/3, the
# user names over a list of 50 and the timestamps increasing (a second every 20 lines from 1
# November), so that no two lines are identical.
# MIX=varied: every sample line of every service (all of fail2ban's and CrowdSec's sample logs,
# tests/e2e/log_samples, and the real Apache access log of the test data: about four lines in
# five are web requests), cycled with the addresses varied; their own timestamps are kept. The
# peer still runs its sshd filter (one filter per run is what fail2ban-regex does): it reads
# and dates every line as it would in production, most of them without a match.
# MIX=varied adds a second peer row, "fail2ban-regex, every service": what fail2ban does for this
# log on a host that runs one jail per service the mix holds, i.e. fail2ban-regex once per filter
# below over the same file, wall and CPU times summed per round (peak RSS: the largest run). Each
# filter reads every line, as the sshd row does; on a real host each jail would watch its own
# service's file, so this row is an upper bound of fail2ban's work and the sshd row a lower bound.
# F2B_ALL_ROUNDS=K runs that row in the first K rounds only (0: not at all) (it costs some 24 times the sshd row;
# its by-round ratios pair it with the sensor's runs of the same rounds). F2B_FILTERS="sshd
# dovecot ..." replaces the list; filters missing from /etc/fail2ban/filter.d
# are skipped with a warning.
# SENSOR=path compares another build of the sensor in the same rounds (its row is added);
# SENSOR_DECODERS=dir gives that build its decoder files (a binary copied out of its build tree
# would read the installed ones), e.g. a copy of main's build and sensors/log/decoders in build-before/. Output: a markdown table of medians (min-max) on stdout,
# lines per second of the whole process (start-up included), peak resident memory, and the
# ratio of the sensor's lines per second to fail2ban's.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
n=${2:-1000000}
rounds=${3:-3}
[[ $build = /* ]] || build="$repo/$build"
sensor="$build/sensors/log/soc-log-sensor"
data="$repo/../shared/testdata/logs"
[ -x "$sensor" ] || { echo "log_bench: $sensor is not built" >&2; exit 2; }
[ -d "$data" ] || { echo "log_bench: $data is absent" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/soc-log-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log="$tmp/auth.log"

mix=${MIX:-auth}
if [ "$mix" = varied ]; then
python3 - "$data" "$n" "$log" "$repo/tests/e2e/log_samples" <<'PY'
import glob, itertools, os, re, sys
data, n, out, samples = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lines = []
paths = sorted(glob.glob(f"{data}/fail2ban/*")) + sorted(glob.glob(f"{data}/crowdsec/*/*.log")) + \
    sorted(glob.glob(f"{samples}/*.log")) + [f"{data}/access/apache_combined_part1.log"]
for path in paths:
    if not os.path.isfile(path):
        continue
    for l in open(path, encoding="utf-8", errors="replace"):
        l = l.rstrip("\n")
        if l.strip() and not l.lstrip().startswith("#"):
            lines.append(l)
nets = ["192.0.2", "198.51.100", "203.0.113"]
ipv4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
with open(out, "w") as f:
    for i, l in zip(range(n), itertools.cycle(lines)):
        f.write(ipv4.sub(f"{nets[i % 3]}.{1 + i % 254}", l) + "\n")
PY
else
python3 - "$data" "$n" "$log" <<'PY'
import itertools, re, sys
data, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = []
for path in (f"{data}/fail2ban/sshd", f"{data}/crowdsec/sshd-logs/sshd-logs.log", f"{data}/crowdsec/ssh-bf/ssh-bf.log"):
    try:
        for l in open(path, encoding="utf-8", errors="replace"):
            l = l.rstrip("\n")
            if l.strip() and not l.startswith("#") and re.match(r"^[A-Z][a-z]{2} [ 0-9]\d ", l):
                lines.append(l)
    except FileNotFoundError:
        pass
nets = ["192.0.2", "198.51.100", "203.0.113"]
ipv4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
user = re.compile(r"((?:[Ii]nvalid user|password for|publickey for|user=) ?)(?!invalid )([A-Za-z0-9._-]+)")
users = ["root", "admin", "oracle", "test", "ubuntu", "git", "postgres", "nagios", "guest", "user"] + \
        [f"{p}{k}" for p in ("staff", "dev", "ops", "hr") for k in range(10)]
months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
import datetime
start = datetime.datetime(2026, 11, 1)
with open(out, "w") as f:
    for i, l in zip(range(n), itertools.cycle(lines)):
        l = ipv4.sub(f"{nets[i % 3]}.{1 + i % 254}", l)
        l = user.sub(lambda m: m.group(1) + users[(i // 7) % len(users)], l, count=1)
        t = start + datetime.timedelta(seconds=i // 20)
        f.write(f"{months[t.month - 1]} {t.day:2d} {t:%H:%M:%S}" + l[15:] + "\n")
PY
fi
echo "log ($mix): $n lines, $(du -h "$log" | cut -f1), $(grep -c 'Failed password' "$log") with 'Failed password'" >&2
# KEEP=FILE keeps a copy of the generated log (for callgrind, log_same_output.sh); ROUNDS 0 stops here.
[ -n "${KEEP:-}" ] && cp "$log" "$KEEP"
((rounds > 0)) || exit 0

# One Debian fail2ban filter per service of the varied mix (the sensor decodes them all): sshd,
# PAM, dropbear; Apache (error log: apache-auth; access log, four lines in five: apache-badbots),
# nginx and lighttpd basic auth, HAProxy and Traefik auth; dovecot, courier, cyrus, postfix,
# exim, sendmail; MySQL, MSSQL, MongoDB; proftpd, pure-ftpd, vsftpd; named, portsentry, and
# fail2ban's own log (recidive). Services of the mix without a Debian filter (filterlog,
# iptables, PostgreSQL, xrdp, auditd, JSON lines) add nothing.
f2b_filters=(${F2B_FILTERS:-sshd pam-generic dropbear apache-auth apache-badbots nginx-http-auth lighttpd-auth
  haproxy-http-auth traefik-auth dovecot courier-auth cyrus-imap postfix exim sendmail-auth mysqld-auth mssql-auth
  mongodb-auth proftpd pure-ftpd vsftpd named-refused portsentry recidive})

have_time=0; [ -x /usr/bin/time ] && have_time=1
run() {  # run NAME CMD...: prints "seconds peak_kib cpu_seconds"
  local start end rss=0 cpu=0
  start=$(date +%s.%N)
  if ((have_time)); then
    /usr/bin/time -f '%M %U %S' -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/stderr" || { cat "$tmp/stderr" >&2; return 1; }
    read -r rss u s <<<"$(tail -1 "$tmp/rss")"
    cpu=$(echo "$u + $s" | bc -l)
  else
    "$@" >/dev/null 2>"$tmp/stderr"
  fi
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc -l) $rss $cpu"
}

declare -A secs rss cpus meds cmeds
tools=("wc -l" "grep -c" "fail2ban-regex sshd" "soc-log-sensor")
command -v fail2ban-regex >/dev/null || { echo "log_bench: fail2ban-regex not found (apt install fail2ban): its row is skipped" >&2; tools=("wc -l" "grep -c" "soc-log-sensor"); }
if [ "$mix" = varied ] && command -v fail2ban-regex >/dev/null; then
  present=()
  for f in "${f2b_filters[@]}"; do
    if [ -f "/etc/fail2ban/filter.d/$f.conf" ]; then present+=("$f")
    else echo "log_bench: fail2ban filter $f not found: left out of the every-service row" >&2; fi
  done
  f2b_filters=("${present[@]}")
  echo "fail2ban filters of the every-service row (${#f2b_filters[@]}): ${f2b_filters[*]}" >&2
  tools=("${tools[@]:0:3}" "fail2ban-regex, every service" "${tools[@]:3}")
fi
all_f2b() {  # every filter in turn: "wall_sum max_rss cpu_sum"
  local ws=0 ms=0 cs=0 w m c
  for f in "${f2b_filters[@]}"; do
    read -r w m c <<<"$(run fail2ban-regex "$log" "$f")"
    ws=$(echo "$ws + $w" | bc -l); cs=$(echo "$cs + $c" | bc -l); ((m > ms)) && ms=$m
  done
  echo "$ws $ms $cs"
}
other=${SENSOR:-}
[ -n "$other" ] && tools+=("soc-log-sensor (SENSOR)")
for r in $(seq 1 "$rounds"); do
  for t in "${tools[@]}"; do
    [[ $t = "fail2ban-regex, every service" && $r -gt ${F2B_ALL_ROUNDS:-$rounds} ]] && continue
    case $t in
      "wc -l") res=$(run wc -l "$log") ;;
      "grep -c") res=$(run grep -c 'Failed password' "$log") ;;
      "fail2ban-regex sshd") res=$(run fail2ban-regex "$log" sshd) ;;
      "fail2ban-regex, every service") res=$(all_f2b) ;;
      "soc-log-sensor") res=$(run "$sensor" --read "$log") ;;
      "soc-log-sensor (SENSOR)")
        if [ -n "${SENSOR_DECODERS:-}" ]; then res=$(SOC_LOG_DECODERS=$SENSOR_DECODERS run "$other" --read "$log")
        else res=$(run "$other" --read "$log"); fi ;;
    esac
    read -r w m c <<<"$res"
    secs[$t]+="$w "; rss[$t]+="$m "; cpus[$t]+="$c "
    echo "round $r: $t: $w s wall, $c s CPU" >&2
  done
done
echo "machine: $(nproc) vCPU, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'; }
# Wall time is what the goal names; on a shared machine it also measures the others' load (a
# 0.1 CPU-second run waits a second for a core at a load average of 15), so the CPU time (user +
# sys, from GNU time) of the same runs is given beside it.
echo "| tool | wall s, median (min-max) | CPU s, median (min-max) | lines/s (wall, median) | peak RSS MiB |"
echo "| --- | --- | --- | --- | --- |"
for t in "${tools[@]}"; do
  [ -n "${secs[$t]:-}" ] || continue  # F2B_ALL_ROUNDS=0: the every-service row was not run
  read -r med lo hi <<<"$(echo "${secs[$t]}" | median)"
  read -r cmed clo chi <<<"$(echo "${cpus[$t]}" | median)"
  read -r mrss _ _ <<<"$(echo "${rss[$t]}" | median)"
  printf '| %s | %.3f (%.3f-%.3f) | %.2f (%.2f-%.2f) | %s | %.1f |\n' "$t" "$med" "$lo" "$hi" "$cmed" "$clo" "$chi" \
    "$(echo "$n / $med" | bc)" "$(echo "$mrss / 1024" | bc -l)"
  meds[$t]=$med; cmeds[$t]=$cmed
done
for peer in "fail2ban-regex sshd" "fail2ban-regex, every service"; do
  [ -n "${meds[$peer]:-}" ] || continue
  echo
  printf 'soc-log-sensor / %s, lines per second: %.1f (wall), %.1f (CPU)\n' "$peer" \
    "$(echo "${meds[$peer]} / ${meds[soc-log-sensor]}" | bc -l)" \
    "$(echo "${cmeds[$peer]} / ${cmeds[soc-log-sensor]}" | bc -l)"
  if [ -n "$other" ]; then
    printf 'soc-log-sensor (SENSOR) / %s, lines per second: %.1f (wall), %.1f (CPU)\n' "$peer" \
      "$(echo "${meds[$peer]} / ${meds[soc-log-sensor (SENSOR)]}" | bc -l)" \
      "$(echo "${cmeds[$peer]} / ${cmeds[soc-log-sensor (SENSOR)]}" | bc -l)"
  fi
  # The same ratio round by round (each round runs the tools one after the other): worst and best.
  for t in "soc-log-sensor" ${other:+"soc-log-sensor (SENSOR)"}; do
    read -r -a fw <<<"${secs[$peer]}"; read -r -a sw <<<"${secs[$t]}"
    read -r -a fc <<<"${cpus[$peer]}"; read -r -a sc <<<"${cpus[$t]}"
    rw=""; rc=""
    for i in "${!fw[@]}"; do
      rw+="$(echo "${fw[$i]} / ${sw[$i]}" | bc -l) "; rc+="$(echo "${fc[$i]} / ${sc[$i]}" | bc -l) "
    done
    read -r _ wlo whi <<<"$(echo "$rw" | median)"; read -r _ clo chi <<<"$(echo "$rc" | median)"
    printf '%s / %s by round: wall %.1f-%.1f, CPU %.1f-%.1f\n' "$t" "$peer" "$wlo" "$whi" "$clo" "$chi"
  done
done
