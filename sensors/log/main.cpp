// soc-log-sensor: turns log lines into ECS events. --read FILE decodes a file (one JSON object
// per informative line on stdout, exit 0 at its end); --file GLOB follows files, --syslog-udp and
// --syslog-tcp receive syslog, until SIGINT/SIGTERM; --connect sends the events to the correlator
// instead of stdout (docs/adr/0007-log-sensor.md).
#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/config/command_line.h"
#include "core/event.h"
#include "core/json_codec.h"
#include "core/line_reader.h"
#include "core/transport/connect_options.h"
#include "sensors/log/decoder.h"
#include "sensors/log/follow.h"
#include "sensors/log/sink.h"
#include "sensors/log/syslog_listener.h"

namespace {

using namespace soc;
using namespace soc::sensors::log;

int config_error(const std::string& message) {
  std::fprintf(stderr, "soc-log-sensor: %s\n", message.c_str());
  return config::kExitConfig;
}

// The command line and the config file's values.
struct Flags {
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
  transport::ConnectOptions conn;
  int64_t heartbeat_s = 10;
  FollowOptions follow;
  int64_t tcp_max_connections = 512, tcp_max_per_source = 32;
  double tcp_idle_timeout_s = 300;
};

void add_flags(config::CommandLine& cli, Flags& f) {
  cli.root()
      .option("read", f.read, "Offline mode: decode FILE (- for standard input), print one JSON event per line, exit 0")
      .option("format", f.format, "auto, syslog, json, or a decoder format (nginx, apache, sshd, iptables, ...)")
      .option("timezone", f.timezone, "Zone of timestamps that carry none: UTC, local, or an offset like +07:00")
      .option("decoders", f.decoder_files, "Extra decoder YAML file or directory (repeatable), tried before the built-in ones")
      .option("builtin-decoders", f.builtin, "Directory of the built-in decoders (default: found next to the program)")
      .flag("no-builtin-decoders", f.no_builtin, "Use only the --decoders files")
      .flag("check-decoders", f.check, "Load the decoders, report problems with file:line:column, and exit")
      .option("file", f.follow.files, "Follow files matching this glob like tail -F (repeatable; rotation and truncation handled)")
      .option("checkpoint", f.follow.checkpoint, "File keeping the read position of each followed file across restarts")
      .option("file-start", f.follow.start, "Where to start in files found at the first scan that the checkpoint does not know: end or beginning")
      .flag("journal", f.follow.journal, "Read the systemd journal (entries decoded like syslog lines; cursor kept in --checkpoint)")
      .option("journal-dir", f.follow.journal_dir, "With --journal: read the journal files of this directory instead of the local journal")
      .option("journal-match", f.follow.journal_matches, "With --journal: only entries with FIELD=VALUE (repeatable; the same field ORed, different fields ANDed)")
      .option("journal-start", f.follow.journal_start, "With --journal and no checkpointed cursor: end (new entries only) or beginning")
      .option("syslog-udp", f.syslog_udp, "Receive syslog on UDP ADDR:PORT and print the events (until SIGINT/SIGTERM)")
      .option("syslog-tcp", f.syslog_tcp, "Receive syslog on TCP ADDR:PORT (RFC 6587 octet counting or newline framing)")
      .option("syslog-tcp-max-connections", f.tcp_max_connections,
              "Most syslog TCP connections open at once; when full, the longest-silent one makes room")
      .option("syslog-tcp-max-per-source", f.tcp_max_per_source, "Most syslog TCP connections from one address")
      .option("syslog-tcp-idle-timeout", f.tcp_idle_timeout_s, "Seconds after which a silent syslog TCP connection is closed")
      .option("heartbeat", f.heartbeat_s, "With --connect: seconds between heartbeats (they carry the sensor's counters)")
      .option("max-line-bytes", f.max_line_bytes, "Longer lines are cut to this length, decoded, and counted")
      .flag("stats", f.stats, "Print counters (lines, events, truncated, invalid UTF-8, ...) to stderr at the end");
  transport::add_connect_options(cli.root(), f.conn, "Send events to the correlator at this ZeroMQ endpoint instead of stdout");
}

// The --decoders files, then the built-in ones; false (problems reported) when one is wrong.
bool load_decoders(const Flags& f, DecoderSet& set) {
  std::vector<Diagnostic> diags;
  bool ok = true;
  for (const auto& file : f.decoder_files) {
    std::error_code ec;
    ok = (std::filesystem::is_directory(file, ec) ? set.load_directory(file, diags) : set.load_file(file, diags)) && ok;
  }
  if (!f.no_builtin) ok = set.load_directory(f.builtin.empty() ? find_builtin_decoders() : f.builtin, diags) && ok;
  if (!diags.empty()) std::fputs(render_all(diags).c_str(), stderr);
  return ok;
}

// The values' ranges and how they combine, once the decoders are loaded: a message when one is
// wrong.
std::optional<std::string> check(const Flags& f, const DecoderSet& set) {
  if (f.format != "auto" && f.format != "syslog" && f.format != "json" && !set.knows_format(f.format))
    return fmt::format("unknown --format '{}'", f.format);
  if (f.follow.start != "end" && f.follow.start != "beginning") return "--file-start must be end or beginning";
  if (f.follow.journal_start != "end" && f.follow.journal_start != "beginning")
    return "--journal-start must be end or beginning";
  if (f.heartbeat_s < 1 || f.heartbeat_s > 3600) return "--heartbeat must be 1 .. 3600 seconds";
  if (f.tcp_max_connections < 1 || f.tcp_max_connections > 65536)
    return "--syslog-tcp-max-connections must be 1 .. 65536";
  if (f.tcp_max_per_source < 1 || f.tcp_max_per_source > f.tcp_max_connections)
    return "--syslog-tcp-max-per-source must be 1 .. --syslog-tcp-max-connections";
  if (!(f.tcp_idle_timeout_s >= 1 && f.tcp_idle_timeout_s <= 86400))
    return "--syslog-tcp-idle-timeout must be 1 .. 86400 seconds";
  if (!f.follow.journal && (!f.follow.journal_dir.empty() || !f.follow.journal_matches.empty()))
    return "--journal-dir and --journal-match need --journal";
  return std::nullopt;
}

ListenOptions listen_options(const Flags& f) {
  ListenOptions lo;
  lo.udp = f.syslog_udp;
  lo.tcp = f.syslog_tcp;
  lo.tcp_limits.max_connections = static_cast<size_t>(f.tcp_max_connections);
  lo.tcp_limits.max_per_source = static_cast<size_t>(f.tcp_max_per_source);
  lo.tcp_limits.idle_timeout = std::chrono::milliseconds(static_cast<int64_t>(f.tcp_idle_timeout_s * 1000));
  lo.max_message = static_cast<size_t>(f.max_line_bytes);
  lo.stats = f.stats;
  return lo;
}

// --read FILE: every line decoded to the sink, then delivered (30 s at most); 0 when all was.
int read_file(const Flags& f, const DecoderSet& set, DecodeOptions opt, Sink& sink) {
  LineReader reader;
  if (auto r = reader.open(f.read, static_cast<size_t>(f.max_line_bytes)); !r) {
    std::fprintf(stderr, "soc-log-sensor: %s\n", r.error().message.c_str());
    return 1;
  }
  opt.file_path = f.read == "-" ? std::string() : f.read;
  LineDecoder decoder(set, opt);
  sink.on_heartbeat([&](Event& hb) { fill_decode_counters(hb, decoder.stats()); });
  Event event;
  std::string_view line;
  bool truncated = false;
  while (reader.next(line, truncated)) {
    if (!decoder.decode(line, truncated, event)) continue;
    if (auto r = sink.put(event); !r) {
      sink.on_heartbeat({});
      std::fprintf(stderr, "soc-log-sensor: %s\n", r.error().message.c_str());
      return 1;
    }
  }
  const auto delivered = sink.finish(std::chrono::seconds(30));
  sink.on_heartbeat({});  // the counters refer to the decoder, gone before the sink
  if (!delivered) {
    std::fprintf(stderr, "soc-log-sensor: %s\n", delivered.error().message.c_str());
    return 1;
  }
  if (f.stats) print_stats(decoder.stats());
  if (!reader.error().empty()) {
    std::fprintf(stderr, "soc-log-sensor: %s\n", reader.error().c_str());
    return 1;
  }
  return 0;
}

// The body of main() (run_main reports what escapes it).
int main_body(int argc, char** argv) {
  Flags f;
  config::CommandLine cli("soc-log-sensor",
                          "The log sensor: decodes log lines (syslog RFC 3164/5424, sshd, sudo, su, PAM, dropbear, "
                          "FTP and mail servers, iptables/nftables, nginx and Apache, JSON lines) into ECS events.");
  add_flags(cli, f);
  if (auto code = cli.parse(argc, argv)) return *code;
  // A missing value is a usage error (2) on the command line, and a configuration error (78,
  // which systemd does not restart) when a --config file was read: it may be missing from it.
  const int usage_code = cli.root().config_path().empty() ? config::kExitUsage : config::kExitConfig;

  DecodeOptions opt;
  opt.format = f.format;
  opt.time.reference = now();
  if (!parse_timezone(f.timezone, opt.time)) return config_error("--timezone must be UTC, local or an offset like +07:00");
  if (f.max_line_bytes < 256 || f.max_line_bytes > (64 << 20)) return config_error("--max-line-bytes must be 256 .. 64 MiB");
  DecoderSet set;
  if (!load_decoders(f, set)) return config::kExitConfig;
  if (f.check) {
    std::printf("%zu decoders loaded\n", set.decoders().size());
    return 0;
  }
  if (auto problem = check(f, set)) return config_error(*problem);
  if (f.read.empty() && f.syslog_udp.empty() && f.syslog_tcp.empty() && f.follow.files.empty() && !f.follow.journal) {
    std::fprintf(stderr, "soc-log-sensor: nothing to do: give --read FILE, --file GLOB, --journal, --syslog-udp or --syslog-tcp\n");
    return usage_code;
  }
  Sink sink;
  if (auto r = sink.open(f.conn, f.heartbeat_s, [] { return stop_requested(); }); !r) {
    std::fprintf(stderr, "soc-log-sensor: %s\n", r.error().message.c_str());
    return r.error().code == "usage" ? usage_code : config::kExitConfig;
  }
  if (f.read.empty()) return listen(set, opt, listen_options(f), sink, f.follow);
  return read_file(f, set, opt, sink);
}

}  // namespace

int main(int argc, char** argv) { return soc::config::run_main("soc-log-sensor", main_body, argc, argv); }
