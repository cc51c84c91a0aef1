# Shared helpers of the bench scripts (sourced).

# free_port VAR: sets VAR to a TCP port nobody uses, below the kernel's ephemeral range (a port
# in that range can be taken by any outgoing connection between this check and the listener's
# bind, as tests/e2e/lib.sh explains), never the same twice in one run.
bench_used_ports=" "
free_port() {
  local lo hi p first last
  read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { lo=32768; hi=60999; }
  if ((lo > 12000)); then first=10000; last=$((lo - 1)); else first=$((hi + 1)); last=65000; fi
  for _ in $(seq 1 200); do
    p=$((first + (RANDOM * 32768 + RANDOM) % (last - first + 1)))
    [[ $bench_used_ports = *" $p "* ]] && continue
    if [[ -z $(ss -Htan "sport = :$p") ]]; then
      bench_used_ports+="$p "
      printf -v "$1" '%s' "$p"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}
