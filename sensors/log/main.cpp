// soc-log-sensor: turns log lines into ECS events. This slice implements the offline mode
// (--read FILE: one JSON object per informative line on stdout, exit 0 at end of file); the
// daemon inputs (--file, --syslog-udp/tcp, --connect) are issue 4's next steps
// (docs/adr/0007-log-sensor.md).
#include <fmt/core.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/command_line.h"
#include "core/event.h"
#include "core/json_codec.h"
#include "core/line_reader.h"
#include "sensors/log/decoder.h"

namespace {

using namespace soc;
using namespace soc::sensors::log;

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
  if (read.empty()) {
    std::fprintf(stderr, "soc-log-sensor: nothing to do: give --read FILE (the daemon inputs are not built yet)\n");
    return config::kExitUsage;
  }

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
