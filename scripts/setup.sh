#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs (only the missing ones), configures build/
# with meson and builds it with ninja. Idempotent: a second run installs nothing and only lets
# ninja rebuild what changed.
#
# Used by scripts/demo.sh and scripts/test.sh; can also be run alone. Works as root on a fresh
# Debian 12 with nothing but the clone; as another user it uses sudo for apt-get if sudo exists.
# Exits non-zero, with a message saying which step failed, on any failure.
#
# May be executed (./scripts/setup.sh) or sourced (. scripts/setup.sh): when sourced it runs in a
# subshell, so it changes neither the caller's directory nor its shell options, and returns the
# status instead of exiting.

# The Debian packages the project needs, in one place. Later issues add theirs here
# (tcpreplay, prometheus, prometheus-alertmanager, ...).
SOC_PACKAGES=(
  # toolchain and build
  build-essential meson ninja-build pkg-config cmake
  # libraries (headers), each found by meson.build with dependency()
  libpcap-dev libndpi-dev libyaml-cpp-dev libzmq3-dev cppzmq-dev libfmt-dev
  prometheus-cpp-dev doctest-dev libcli11-dev libpcre2-dev
  # the correlator's HTTP listener (daemon/http, docs/adr/0019-http-listener.md)
  libcivetweb-dev
  # the correlator's alert store (daemon/alerts, docs/adr/0020-alert-store.md)
  libsqlite3-dev
  libsystemd-dev
  # soc-collector: TLS probe and HTTP(S) client (docs/adr/0013-collector.md)
  libssl-dev libcurl4-openssl-dev
  # tools the scripts and the end-to-end tests use
  curl ca-certificates python3 procps iproute2 libndpi-bin
  # PyYAML: the log oracle test reads the rule pack's web rules (tests/e2e/log_oracle_test.py)
  python3-yaml
  # openssl: the collector's end-to-end test makes and serves certificates
  openssl
  # logger (the log sensor's syslog listener tests)
  bsdutils
  # the peer of the log sensor benchmark (bench/log_bench.sh)
  fail2ban
  # systemd-journal-remote writes journal files from export format (e2e-log_journal)
  systemd-journal-remote
  # the packet sensor's live test (tcpreplay into a veth pair) and its benchmark (tcprewrite,
  # tcpdump as the floor, GNU time for the peak RSS)
  tcpreplay tcpdump time
  # socctl report --format pdf prints the HTML report with headless Chromium; its tests read
  # the PDF back with pdftotext/pdfinfo; DejaVu has every Vietnamese glyph the report names
  chromium poppler-utils fonts-dejavu-core
  # dashboards/: promtool check/test rules and a real Prometheus in the end-to-end test,
  # amtool for the Alertmanager example, python3-yaml to read rule files and
  # python3-matplotlib to draw the panels from the test's query results (docs/dashboards.md)
  prometheus prometheus-alertmanager python3-yaml python3-matplotlib
  # the sanitizer and fuzz build (scripts/sanitize.sh: clang, its sanitizer and libFuzzer
  # runtimes, llvm-symbolizer for the reports); docs/adr/0035
  clang libclang-rt-14-dev llvm
  # the installed units: systemd-analyze verify/security, and a real run under systemd booted
  # in a container made from this machine's files (systemd-nspawn); docs/adr/0035
  systemd systemd-container
  # the analyst console's end-to-end test: headless Chromium driven through the DevTools
  # protocol (tests/e2e/cdp.py; docs/adr/0036-analyst-console.md)
  chromium python3-websocket
  # clang-tidy over the sources, a test of scripts/test.sh in CI (scripts/tidy.sh; docs/adr/0035)
  clang-tidy
)

# The function body is a subshell: `set -e` and `exit` stay inside it.
soc_setup() (
  set -euo pipefail

  say() { printf '==> %s\n' "$*"; }
  die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || die "cannot find the repository root"
  cd "$root"

  # --- packages ---------------------------------------------------------------------------
  command -v dpkg-query >/dev/null 2>&1 ||
    die "dpkg-query not found: this script supports Debian 12 (install the packages listed in scripts/setup.sh by hand elsewhere)"

  missing=()
  for pkg in "${SOC_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
  done

  installed_now=0
  if ((${#missing[@]} == 0)); then
    say "all ${#SOC_PACKAGES[@]} required packages are installed"
  else
    say "installing missing packages: ${missing[*]}"
    sudo=()
    if ((EUID != 0)); then
      command -v sudo >/dev/null 2>&1 ||
        die "not root and sudo is not installed: run as root, or install as root: ${missing[*]}"
      sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update || die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y --no-install-recommends "${missing[@]}" ||
      die "apt-get install failed for: ${missing[*]}"
    installed_now=1
  fi

  for tool in meson ninja; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found on PATH after installing packages"
  done

  # --- configure --------------------------------------------------------------------------
  # A build dir is configured when meson wrote its state and the ninja file. A failed first
  # `meson setup` leaves neither, so it is simply set up again.
  if [[ ! -f build/meson-private/coredata.dat ]]; then
    say "configuring build/ (meson setup build)"
    meson setup build || die "meson setup build failed (see build/meson-logs/meson-log.txt)"
  elif ((installed_now)) || [[ ! -f build/build.ninja ]] ||
       ! meson introspect --projectinfo build >/dev/null 2>&1; then
    # Newly installed packages may turn optional dependencies on; a missing build.ninja or an
    # unreadable state means the last configure failed or another meson version wrote it.
    # (Edits to meson.build files need nothing here: ninja re-runs meson by itself.)
    say "configuring build/ (meson setup --reconfigure build)"
    meson setup --reconfigure build ||
      die "meson setup --reconfigure build failed (see build/meson-logs/meson-log.txt; 'rm -rf build' starts afresh)"
  else
    say "build/ is configured"
  fi

  # --- build ------------------------------------------------------------------------------
  say "building (ninja -C build)"
  ninja -C build || die "build failed (ninja -C build)"
  say "build succeeded"
)

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  soc_setup "$@"
  exit $?
else
  soc_setup "$@"
  return $?
fi
