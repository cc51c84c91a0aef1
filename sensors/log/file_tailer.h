// Follows files like `tail -F`: paths from glob patterns, rescanned for files that appear
// later; rotation by rename (the old file is read to its end, then the new one from its start)
// and by copytruncate (a file shorter than our offset is read again from 0); holes of sparse
// files are skipped (SEEK_DATA) instead of read as NUL bytes. The read position of each file,
// keyed by (device, inode), is kept in a checkpoint file written atomically, so a restart
// resumes where the last checkpoint was taken: lines after it are read again (at least once),
// none is skipped. Single-threaded; never blocks (regular files only).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace soc::sensors::log {

struct TailerStats {
  uint64_t lines = 0;
  uint64_t truncated = 0;
  uint64_t rotations = 0;    // a path that now names another file
  uint64_t truncations = 0;  // a file that became shorter than our offset (copytruncate)
  uint64_t hole_bytes_skipped = 0;
  uint64_t read_errors = 0;
  uint64_t rotated_finished = 0;  // files rotated while stopped, found beside their old name and read to the end
};

class FileTailer {
 public:
  // `line` has no newline; `truncated` when it was longer than max_line_bytes (cut, the rest of
  // it skipped). The views are valid during the call only.
  using Handler = std::function<void(std::string_view line, const std::string& path, bool truncated)>;

  // `start_at_end`: files found at the first scan that the checkpoint does not know are followed
  // from their end (like tail -F); files that appear later are always read from their start.
  FileTailer(std::vector<std::string> patterns, std::string checkpoint_path, size_t max_line_bytes, bool start_at_end);
  ~FileTailer();
  FileTailer(const FileTailer&) = delete;
  FileTailer& operator=(const FileTailer&) = delete;

  // Reads the checkpoint (a missing file is not an error; an unreadable one is).
  Result<void> load_checkpoint();
  // Replaces what load_checkpoint() read with `text` (checkpoint_text() of an earlier run, e.g.
  // from the spool); before the first poll only.
  void load_checkpoint_text(const std::string& text);
  // Rescans the patterns and reads what is new in every file, at most `budget` bytes per file.
  void poll(const Handler& handler, size_t budget = 16 << 20);
  // Writes the positions of the lines handed over so far (tmp file + rename).
  Result<void> save_checkpoint() const;
  // The positions of the lines handed over so far, in the checkpoint file's format. Called from
  // inside a handler, it covers the lines before the one being handled.
  std::string checkpoint_text() const;
  // Writes `text` to the checkpoint file (tmp file + fsync + rename).
  Result<void> write_checkpoint(const std::string& text) const;

  const TailerStats& stats() const { return stats_; }
  size_t files_followed() const { return files_.size(); }

  // Other inputs' positions kept in the same checkpoint file, one "KEY VALUE" line each (the
  // journal's cursor: "journal s=...;i=..."). KEY is a word that does not start with a digit.
  const std::string& extra(const std::string& key) const;
  void set_extra(const std::string& key, std::string value) { extra_[key] = std::move(value); }

 private:
  struct File {
    std::string path;
    int fd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
    uint64_t offset = 0;     // bytes of this file handed over as complete lines
    uint64_t read_pos = 0;   // bytes read (offset + partial line in `partial`)
    std::string partial;
    bool skipping = false;   // inside a line that was cut
  };
  void scan(const Handler& handler);
  void read_file(File& f, const Handler& handler, size_t budget, bool at_eof_flush);
  void open_file(const std::string& path, bool from_end);
  void parse_checkpoint(std::istream& in);

  std::vector<std::string> patterns_;
  std::string checkpoint_path_;
  size_t max_line_;
  bool start_at_end_;
  bool first_scan_ = true;
  std::vector<File> files_;
  struct Position {
    uint64_t offset = 0;
    std::string path;  // where the file was last seen ("-" when unknown)
  };
  void finish_rotated(const Handler& handler);
  std::map<std::pair<dev_t, ino_t>, Position> checkpoint_;  // from the file, until used
  std::map<std::string, std::string> extra_;
  TailerStats stats_;
  std::string chunk_;
};

}  // namespace soc::sensors::log
