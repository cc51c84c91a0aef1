#include "daemon/alerts/sinks/chain_verify.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>
#include <vector>

#include "core/crypto/digest.h"
#include "core/json_codec.h"
#include "daemon/alerts/sinks/chain_log.h"

namespace soc::daemon::alerts::sinks {

namespace {

// Lines of a file, each at most kMaxRecordBytes: a longer one is reported as such and skipped, so
// a hostile file costs one buffer, never its size.
class BoundedLines {
 public:
  ~BoundedLines() {
    if (f_) std::fclose(f_);
  }
  bool open(const std::string& path, std::string& error) {
    f_ = std::fopen(path.c_str(), "rbe");
    if (!f_) error = std::strerror(errno);
    return f_ != nullptr;
  }
  // False at the end. `complete`: the line ended with "\n". `too_long`: its bytes were dropped.
  bool next(std::string& line, bool& complete, bool& too_long) {
    line.clear();
    complete = too_long = false;
    bool any = false;
    for (;;) {
      if (pos_ == len_) {
        len_ = std::fread(buf_, 1, sizeof buf_, f_);
        pos_ = 0;
        if (len_ == 0) return any;
      }
      any = true;
      const char* start = buf_ + pos_;
      const void* nl = std::memchr(start, '\n', len_ - pos_);
      const size_t n = nl ? static_cast<size_t>(static_cast<const char*>(nl) - start) : len_ - pos_;
      if (!too_long) {
        if (line.size() + n > kMaxRecordBytes) {
          too_long = true;
          line.clear();
        } else {
          line.append(start, n);
        }
      }
      pos_ += n;
      if (nl) {
        ++pos_;
        ++line_no_;
        complete = true;
        return true;
      }
    }
  }
  uint64_t line_no() const { return line_no_; }

 private:
  std::FILE* f_ = nullptr;
  char buf_[65536];
  size_t pos_ = 0, len_ = 0;
  uint64_t line_no_ = 0;
};

struct Line {
  size_t file = 0;
  uint64_t line = 0;
  int64_t seq = 0;
  std::string prev, type, hash, previous_file;
};

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The record's chain members; an error text when it is not a record.
std::optional<std::string> parse(const std::string& text, Event& scratch, Line& out) {
  if (auto bad = decode_event_into(text, scratch, DecodeLimits{.max_bytes = kMaxRecordBytes})) return bad->message();
  const auto seq = scratch.get_int("seq");
  if (!seq || *seq < 1) return std::string("no seq");
  if (!is_hex64(scratch.get_string("prev"))) return std::string("no prev hash");
  if (scratch.get_string("record").empty()) return std::string("no record type");
  out.seq = *seq;
  out.prev = scratch.get_string("prev");
  out.type = scratch.get_string("record");
  out.previous_file = scratch.get_string("previous_file");
  out.hash = crypto::sha256_hex(text);
  return std::nullopt;
}

std::string base_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string seqs(int64_t from, int64_t to) {
  return from == to ? fmt::format("record {} is", from) : fmt::format("records {}-{} are", from, to);
}

class Verifier {
 public:
  explicit Verifier(std::span<const std::string> files) : files_(files) {}

  ChainVerdict run() {
    for (size_t fi = 0; fi < files_.size(); ++fi) {
      if (!file(fi)) return v_;
    }
    if (v_.records == 0 && !files_.empty()) {
      bad(0, 1, "truncated: the file is empty");
      return v_;
    }
    v_.intact = true;
    return v_;
  }

 private:
  const std::string& name(size_t fi) const { return files_[fi]; }

  bool bad(size_t fi, uint64_t line, std::string reason) {
    v_.intact = false;
    v_.file = name(fi);
    v_.line = line;
    v_.reason = std::move(reason);
    return false;
  }

  bool file(size_t fi) {
    BoundedLines in;
    std::string err;
    if (!in.open(name(fi), err)) return bad(fi, 0, fmt::format("cannot be read: {}", err));
    std::string text;
    bool complete = false, too_long = false;
    uint64_t ln = 0;
    while (in.next(text, complete, too_long)) {
      ++ln;
      if (too_long) return bad(fi, ln, "edited or inserted: a line longer than 1 MiB is not a record");
      if (!complete) return bad(fi, ln, fmt::format("truncated: the file ends inside a line ({} bytes without a newline)", text.size()));
      Line cur;
      cur.file = fi;
      cur.line = ln;
      if (auto why = parse(text, scratch_, cur)) return bad(fi, ln, "edited or inserted: not a record of the chain (" + *why + ")");
      if (!check(cur)) return false;
      remember(std::move(cur));
    }
    if (ln == 0) return bad(fi, 1, "truncated: the file is empty");
    return true;
  }

  void remember(Line cur) {
    if (v_.records == 0) v_.first_seq = static_cast<uint64_t>(cur.seq);
    ++v_.records;
    v_.last_seq = static_cast<uint64_t>(cur.seq);
    v_.head = cur.hash;
    recent_.push_back({cur.seq, cur.hash, cur.file, cur.line});
    if (recent_.size() > 1024) recent_.pop_front();
    before_last_ = std::move(last_);
    last_ = std::move(cur);
  }

  bool check(const Line& cur) {
    if (cur.line == 1) return check_first(cur);
    if (cur.seq == last_->seq + 1 && cur.prev == last_->hash) {
      if (cur.type == "start") return bad(cur.file, cur.line, "inserted: a start record inside a file");
      return true;
    }
    return classify(cur);
  }

  // The first line of a file: its start record, linked to the last line of the file before.
  bool check_first(const Line& cur) {
    if (cur.type != "start")
      return bad(cur.file, 1, "deleted: the file does not begin with its start record (its first lines are missing)");
    if (!last_) {
      v_.from_genesis = cur.prev == kGenesis;
      if (v_.from_genesis && cur.seq != 1) return bad(cur.file, 1, fmt::format("edited: the chain begins at seq {}, not 1", cur.seq));
      return true;
    }
    const int64_t e = last_->seq + 1;
    const std::string& before = name(last_->file);
    if (cur.seq == e && cur.prev == last_->hash) return true;
    if (cur.seq == e)
      return bad(last_->file, last_->line,
                 fmt::format("edited: its SHA-256 is not the one {}:1 records for the line before it", name(cur.file)));
    if (cur.seq > e) {
      if (!cur.previous_file.empty() && cur.previous_file != base_of(before))
        return bad(cur.file, 1,
                   fmt::format("deleted: {} follows {}, not {}: a file is missing between them ({} missing)", name(cur.file),
                               cur.previous_file, base_of(before), seqs(e, cur.seq - 1)));
      return bad(last_->file, last_->line + 1,
                 fmt::format("truncated: the file ends at seq {} but {} continues from seq {} ({} missing)", e - 1,
                             name(cur.file), cur.seq, seqs(e, cur.seq - 1)));
    }
    return bad(cur.file, 1,
               fmt::format("reordered: the file starts at seq {}, not after {} (which ends at seq {}): are the files "
                           "given in order?",
                           cur.seq, before, e - 1));
  }

  // A line whose seq or prev does not follow the line before it.
  bool classify(const Line& cur) {
    const int64_t e = last_->seq + 1;
    if (cur.seq == e)
      return bad(last_->file, last_->line, "edited: its SHA-256 is not the one the next line records for it");
    if (cur.seq < e) {
      if (cur.seq == last_->seq && cur.hash == last_->hash) return bad(cur.file, cur.line, "inserted: a copy of the line before");
      if (cur.seq == e - 1 && before_last_ && cur.prev == before_last_->hash)
        return bad(last_->file, last_->line, "inserted: not part of the chain (the next line follows the line before it)");
      for (const auto& r : recent_) {
        if (r.seq == cur.seq && r.hash == cur.hash)
          return bad(cur.file, cur.line, fmt::format("inserted: a copy of {}:{}", name(r.file), r.line));
      }
      return bad(cur.file, cur.line, fmt::format("reordered: seq {} comes after seq {}", cur.seq, e - 1));
    }
    const Ahead a = look_ahead(cur, e);
    if (a.next_seq == e && a.next_prev == last_->hash) {
      if (cur.prev == a.next_hash)
        return bad(cur.file, cur.line, fmt::format("reordered: this line (seq {}) and the next (seq {}) are swapped", cur.seq, e));
      if (a.hole)
        return bad(cur.file, cur.line,
                   fmt::format("reordered: this line (seq {}) was moved here from after seq {}", cur.seq, cur.seq - 1));
      return bad(cur.file, cur.line, "inserted: not part of the chain (the next line follows the line before it)");
    }
    if (a.e_file)
      return bad(cur.file, cur.line, fmt::format("reordered: seq {} comes later, at {}:{}", e, name(*a.e_file), a.e_line));
    return bad(cur.file, cur.line, fmt::format("deleted: {} missing before this line", seqs(e, cur.seq - 1)));
  }

  struct Ahead {
    int64_t next_seq = 0;
    std::string next_prev, next_hash;
    std::optional<size_t> e_file;  // where seq e comes later
    uint64_t e_line = 0;
    bool hole = false;  // a later line with seq s-1 is followed by one with s+1
  };

  // A second pass over the rest of the files, after line `cur`: what comes later.
  Ahead look_ahead(const Line& cur, int64_t e) {
    Ahead a;
    Event scratch;
    int64_t prev_seq = 0;
    bool first = true;
    for (size_t fi = cur.file; fi < files_.size(); ++fi) {
      BoundedLines in;
      std::string err, text;
      if (!in.open(name(fi), err)) break;
      bool complete = false, too_long = false;
      uint64_t ln = 0;
      while (in.next(text, complete, too_long)) {
        ++ln;
        if (fi == cur.file && ln <= cur.line) continue;
        Line l;
        if (too_long || !complete || parse(text, scratch, l)) {
          prev_seq = 0;
          first = false;
          continue;
        }
        if (first) {
          a.next_seq = l.seq;
          a.next_prev = l.prev;
          a.next_hash = l.hash;
          first = false;
        }
        if (l.seq == e && !a.e_file) {
          a.e_file = fi;
          a.e_line = ln;
        }
        if (prev_seq == cur.seq - 1 && l.seq == cur.seq + 1) a.hole = true;
        prev_seq = l.seq;
      }
    }
    return a;
  }

  struct Recent {
    int64_t seq;
    std::string hash;
    size_t file;
    uint64_t line;
  };

  std::span<const std::string> files_;
  ChainVerdict v_;
  std::optional<Line> last_, before_last_;
  std::deque<Recent> recent_;
  Event scratch_;
};

}  // namespace

std::string ChainVerdict::message() const {
  if (intact)
    return fmt::format("intact: {} records, seq {}-{}, {}; SHA-256 of the last line {}", records, first_seq, last_seq,
                       from_genesis ? "from the start of the chain" : "continuing a chain whose start was not given", head);
  if (line == 0) return fmt::format("{}: {}", file, reason);
  return fmt::format("{}:{}: {}", file, line, reason);
}

ChainVerdict verify_chain(std::span<const std::string> files) { return Verifier(files).run(); }

}  // namespace soc::daemon::alerts::sinks
