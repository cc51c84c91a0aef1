// soc-log-sensor: turns log lines into ECS events. This slice implements the offline mode
// (--read FILE: one JSON object per informative line on stdout, exit 0 at end of file); the
// daemon inputs (--file, --syslog-udp/tcp, --connect) are issue 4's next steps
// (docs/adr/0007-log-sensor.md).
#include <fmt/core.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/command_line.h"
#include "core/event.h"
#include "core/json_codec.h"
#include "core/line_reader.h"
#include "sensors/log/decoder.h"
#include "sensors/log/syslog_listener.h"

namespace {

using namespace soc;
using namespace soc::sensors::log;

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

int config_error(const std::string& message) {
  std::fprintf(stderr, "soc-log-sensor: %s\n", message.c_str());
  return config::kExitConfig;
}

void print_stats(const DecodeStats& s) {
  std::fprintf(stderr,
               "soc-log-sensor: lines=%llu events=%llu skipped=%llu generic=%llu truncated=%llu invalid_utf8=%llu "
               "nul_bytes=%llu bad_values=%llu\n",
               static_cast<unsigned long long>(s.lines), static_cast<unsigned long long>(s.events),
               static_cast<unsigned long long>(s.skipped), static_cast<unsigned long long>(s.generic),
               static_cast<unsigned long long>(s.truncated), static_cast<unsigned long long>(s.invalid_utf8),
               static_cast<unsigned long long>(s.nul_bytes), static_cast<unsigned long long>(s.bad_values));
  for (const auto& [name, n] : s.by_decoder)
    std::fprintf(stderr, "soc-log-sensor:   %s=%llu\n", name.c_str(), static_cast<unsigned long long>(n));
}

// Receives syslog and prints one event per message until SIGINT/SIGTERM. The daemon mode
// (publishing with the transport) is a later slice of issue 4.
int listen(const DecoderSet& set, DecodeOptions opt, const std::string& udp, const std::string& tcp,
           size_t max_message, bool stats) {
  SyslogListener listener;
  listener.set_limits(max_message, 512);
  for (const auto& [addr, is_udp] : {std::pair{udp, true}, std::pair{tcp, false}}) {
    if (addr.empty()) continue;
    auto r = is_udp ? listener.listen_udp(addr) : listener.listen_tcp(addr);
    if (!r) {
      std::fprintf(stderr, "soc-log-sensor: %s\n", r.error().message.c_str());
      return 1;
    }
  }
  std::fprintf(stderr, "soc-log-sensor: listening (udp port %d, tcp port %d)\n", listener.udp_port(),
               listener.tcp_port());
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  opt.file_path.clear();
  LineDecoder decoder(set, opt);
  Event event;
  std::string out;
  auto handle = [&](std::string_view msg, std::string_view peer, bool truncated) {
    if (!decoder.decode(msg, truncated, event)) return;
    event.set("log.source.address", peer);
    encode_event(event, out);
    out.push_back('\n');
  };
  while (!g_stop) {
    if (!listener.poll_once(200, handle)) break;
    if (!out.empty()) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
      out.clear();
    }
  }
  if (stats) {
    print_stats(decoder.stats());
    const auto& ls = listener.stats();
    std::fprintf(stderr, "soc-log-sensor: udp_messages=%llu tcp_messages=%llu tcp_connections=%llu\n",
                 static_cast<unsigned long long>(ls.udp_messages), static_cast<unsigned long long>(ls.tcp_messages),
                 static_cast<unsigned long long>(ls.tcp_connections));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string read;
  std::string format = "auto";
  std::string timezone = "UTC";
  std::string builtin;
  std::vector<std::string> decoder_files;
  bool no_builtin = false;
  bool stats = false;
  bool check = false;
  int64_t max_line_bytes = 64 * 1024;
  std::string syslog_udp, syslog_tcp;

  config::CommandLine cli("soc-log-sensor",
                          "The log sensor: decodes log lines (syslog RFC 3164/5424, sshd, sudo, su, PAM, dropbear, "
                          "FTP and mail servers, iptables/nftables, nginx and Apache, JSON lines) into ECS events.");
  cli.root()
      .option("read", read, "Offline mode: decode FILE (- for standard input), print one JSON event per line, exit 0")
      .option("format", format, "auto, syslog, json, or a decoder format (nginx, apache, sshd, iptables, ...)")
      .option("timezone", timezone, "Zone of timestamps that carry none: UTC, local, or an offset like +07:00")
      .option("decoders", decoder_files, "Extra decoder YAML file or directory (repeatable), tried before the built-in ones")
      .option("builtin-decoders", builtin, "Directory of the built-in decoders (default: found next to the program)")
      .flag("no-builtin-decoders", no_builtin, "Use only the --decoders files")
      .flag("check-decoders", check, "Load the decoders, report problems with file:line:column, and exit")
      .option("syslog-udp", syslog_udp, "Receive syslog on UDP ADDR:PORT and print the events (until SIGINT/SIGTERM)")
      .option("syslog-tcp", syslog_tcp, "Receive syslog on TCP ADDR:PORT (RFC 6587 octet counting or newline framing)")
      .option("max-line-bytes", max_line_bytes, "Longer lines are cut to this length, decoded, and counted")
      .flag("stats", stats, "Print counters (lines, events, truncated, invalid UTF-8, ...) to stderr at the end");
  if (auto code = cli.parse(argc, argv)) return *code;

  DecodeOptions opt;
  opt.format = format;
  opt.time.reference = now();
  if (!parse_timezone(timezone, opt.time)) return config_error("--timezone must be UTC, local or an offset like +07:00");
  if (max_line_bytes < 256 || max_line_bytes > (64 << 20)) return config_error("--max-line-bytes must be 256 .. 64 MiB");

  DecoderSet set;
  std::vector<Diagnostic> diags;
  bool ok = true;
  for (const auto& f : decoder_files) {
    std::error_code ec;
    ok = (std::filesystem::is_directory(f, ec) ? set.load_directory(f, diags) : set.load_file(f, diags)) && ok;
  }
  if (!no_builtin) ok = set.load_directory(builtin.empty() ? find_builtin_decoders() : builtin, diags) && ok;
  if (!diags.empty()) std::fputs(render_all(diags).c_str(), stderr);
  if (!ok) return config::kExitConfig;
  if (check) {
    std::printf("%zu decoders loaded\n", set.decoders().size());
    return 0;
  }
  if (format != "auto" && format != "syslog" && format != "json" && !set.knows_format(format))
    return config_error(fmt::format("unknown --format '{}'", format));
  if (read.empty() && syslog_udp.empty() && syslog_tcp.empty()) {
    std::fprintf(stderr, "soc-log-sensor: nothing to do: give --read FILE, --syslog-udp or --syslog-tcp\n");
    return config::kExitUsage;
  }
  if (read.empty()) return listen(set, opt, syslog_udp, syslog_tcp, static_cast<size_t>(max_line_bytes), stats);

  LineReader reader;
  if (auto r = reader.open(read, static_cast<size_t>(max_line_bytes)); !r) {
    std::fprintf(stderr, "soc-log-sensor: %s\n", r.error().message.c_str());
    return 1;
  }
  opt.file_path = read == "-" ? std::string() : read;
  LineDecoder decoder(set, opt);
  Event event;
  std::string out;
  out.reserve(1 << 16);
  std::string_view line;
  bool truncated = false;
  while (reader.next(line, truncated)) {
    if (!decoder.decode(line, truncated, event)) continue;
    encode_event(event, out);
    out.push_back('\n');
    if (out.size() >= (1 << 16) - 4096) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (stats) print_stats(decoder.stats());
  if (!reader.error().empty()) {
    std::fprintf(stderr, "soc-log-sensor: %s\n", reader.error().c_str());
    return 1;
  }
  return 0;
}
