// Decoders as data: YAML files of regular expressions whose named captures map to ECS fields,
// selected by syslog program name or tried on whole lines (docs/adr/0007-log-sensor.md,
// sensors/log/decoders/README.md for the file format). A DecoderSet is loaded once (every
// problem of every file reported as file:line:column, then refused) and is immutable after;
// a LineDecoder turns lines into events with it, on one thread, never throwing.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/diagnostic.h"
#include "core/event.h"
#include "core/regex/regex.h"
#include "sensors/log/literal_set.h"
#include "sensors/log/syslog_header.h"

namespace soc::sensors::log {

using regex::Regex;

// How a capture's text becomes a field value (from the field's type in core/fields.cpp).
enum class CaptureKind : uint8_t { String, Int, Ip, Time };

struct CaptureMap {
  int group = 0;
  std::string field;
  CaptureKind kind = CaptureKind::String;
  bool lower = false;  // "field|lower" in the YAML: the text is lower-cased (PROTO=TCP -> tcp)
};

struct StaticField {
  std::string field;
  Value value;
};

struct Rule {
  Regex regex;
  std::string prefilter;  // a literal the line must contain before the regex is tried
  int prefilter_id = -1;  // its id in the set's LiteralSet (-1: none)
  std::vector<CaptureMap> captures;
  std::vector<StaticField> set;
};

struct Decoder {
  std::string name;
  std::string dataset;
  std::string file;                   // where it was defined, for messages
  bool line_input = false;            // true: tried on whole lines (and on syslog messages)
  bool json_input = false;            // true: applied to JSON lines (a field map, no rules)
  std::string when_field, when_value; // JSON: applies when the object has when_field (= when_value)
  std::vector<std::pair<std::string, std::string>> json_fields;  // JSON key -> documented field
  bool any_program = false;           // programs: ["*"]
  std::vector<std::string> programs;  // syslog program names that select it ("name*": a prefix)
  std::vector<std::string> formats;   // names usable with --format
  // With --format auto: tried only on lines of a file whose path contains one of these
  // (nginx-access: "nginx"); ignored when --format names the decoder.
  std::vector<std::string> paths;
  TimeFormat time_format = TimeFormat::Bsd;
  bool remember_source = false;  // fill source.ip from earlier lines of the same process
  bool web = false;              // fills url.original: url.path/url.query/soc.url.decoded are added
  std::vector<StaticField> set;  // applied before the rule's own
  std::vector<Rule> rules;
  // The shared `prefix:` alone, for a line decoder of several rules: when a line fails the
  // first rule's expression and the prefix cannot match it, none of the rules can (each rule is
  // the prefix followed by more), so they are not tried one by one.
  std::optional<Regex> gate;
};

class DecoderSet {
 public:
  // Loads one YAML file of decoders; appends diagnostics for every problem found. Returns false
  // when the file had any error (its decoders are then not added).
  bool load_file(const std::string& path, std::vector<Diagnostic>& diags);
  bool load_text(const std::string& path, const std::string& text, std::vector<Diagnostic>& diags);
  // Loads every *.yaml of a directory, in name order.
  bool load_directory(const std::string& dir, std::vector<Diagnostic>& diags);

  const std::vector<std::unique_ptr<Decoder>>& decoders() const { return decoders_; }
  // True when some decoder lists `format` in its formats.
  bool knows_format(std::string_view format) const;

 private:
  friend class LineDecoder;
  void index_prefilters();
  std::vector<std::unique_ptr<Decoder>> decoders_;
  LiteralSet prefilters_;  // every rule's prefilter, found in one pass over a line
};

// Counters of what the decoder saw, by reason (never reset).
struct DecodeStats {
  uint64_t lines = 0;
  uint64_t skipped = 0;  // blank lines and comments
  uint64_t events = 0;
  uint64_t truncated = 0;
  uint64_t invalid_utf8 = 0;
  uint64_t nul_bytes = 0;
  uint64_t generic = 0;      // kept by the fallback only
  uint64_t bad_values = 0;   // captures that did not convert (an "ip" that is no address, ...)
  std::map<std::string, uint64_t> by_decoder;
};

struct DecodeOptions {
  // "auto", "syslog", "json", or a format named by decoders (nginx, apache, ...).
  std::string format = "auto";
  TimeContext time;
  std::string file_path;  // sets log.file.path when not empty
};

class LineDecoder {
 public:
  LineDecoder(const DecoderSet& set, DecodeOptions options);

  // Decodes one line (without its newline) into `out`. Returns false for a line that carries no
  // information (blank, or a comment starting with '#'), leaving `out` unspecified.
  bool decode(std::string_view line, bool truncated, Event& out);

  // Decodes a record whose header fields are already known (a journal entry): the per-program
  // decoders run on header.message as they do on a syslog line's message. The views of
  // `header` must stay valid during the call. False for a blank message.
  bool decode_record(const SyslogHeader& header, bool truncated, Event& out);

  const DecodeStats& stats() const;

  // The file the next lines come from ("" for syslog and journal input): sets log.file.path
  // and selects the decoders that have `paths:` (--file follows many files with one decoder).
  void set_file_path(std::string_view path);

 private:
  bool try_decoder(const Decoder& d, std::string_view text, Event& out);
  bool prefilter_found(int id, std::string_view text);
  bool decode_message(Event& out);
  void complete(std::string_view line, bool decoded, bool truncated, bool has_nul, Event& out);
  bool apply_line_decoders(std::string_view text, Event& out);
  void remember(const Decoder& d, Event& out);
  // False when the line is not a JSON object; `decoded` tells whether a decoder recognised it.
  bool decode_json(std::string_view line, Event& out, bool& decoded);
  bool decode_journal_json(Event& out, bool& decoded);
  void apply_json_decoder(const Decoder& d, Event& out);
  void select_by_path();

  const DecoderSet& set_;
  DecodeOptions opt_;
  mutable DecodeStats stats_;
  Regex::Captures caps_;
  // Which prefilters the text last scanned holds; valid for one decode() call.
  LiteralSet::Found found_;
  const char* scanned_data_ = nullptr;
  size_t scanned_size_ = 0;
  bool scanned_ = false;
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::vector<const Decoder*>, StringHash, std::equal_to<>> by_program_;
  std::unordered_map<const Decoder*, uint64_t> matches_;  // per decoder; names resolved in stats()
  std::vector<std::pair<std::string, const Decoder*>> by_prefix_;  // programs: ["postfix*"]
  std::vector<const Decoder*> any_program_;
  std::vector<const Decoder*> line_decoders_;
  std::vector<const Decoder*> json_decoders_;
  std::vector<const Decoder*> path_gated_;  // decoders with paths: that --format does not name
  std::vector<const Decoder*> path_open_;   // those of them whose paths match the current file
  SyslogHeader header_;
  std::string journal_message_, journal_program_, journal_host_;  // header_'s views of a JSON entry
  bool have_header_ = false;
  bool time_set_ = false;  // a decoder or the JSON object gave @timestamp
  std::string scratch_;
  // (host, program, pid) -> the remote address last named by that process.
  std::unordered_map<std::string, IpAddress> sessions_;
};

// Where the built-in decoders are: $SOC_LOG_DECODERS, else the source tree's when the binary runs
// from its build tree, else the installed DATADIR/soc/log-decoders (core/shipped_paths.h).
std::string find_builtin_decoders();

}  // namespace soc::sensors::log
