// Reads a file (or stdin) line by line, fast: large reads, lines returned as views into the
// buffer. A line longer than max_line_bytes is returned cut to that length with `truncated`
// set, and the rest of it is skipped, so one huge line never blocks the lines after it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace soc {

class LineReader {
 public:
  LineReader() = default;
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // "-" reads standard input.
  Result<void> open(const std::string& path, size_t max_line_bytes = 16 << 20);

  // The next line without its "\n" (and without a "\r" before it). False at end of input or on a
  // read error (see error()). The view is valid until the next call.
  bool next(std::string_view& line, bool& truncated);
  uint64_t line_number() const { return line_no_; }
  // Bytes of input consumed: the offset just after the last line returned (its newline included).
  uint64_t offset() const { return base_ + begin_; }
  // Right after open(): goes on from `offset` (a value offset() returned before), counting lines
  // from `line_number`. Seeks in a regular file, reads and discards otherwise. False when the
  // input is shorter than that.
  bool resume_at(uint64_t offset, uint64_t line_number);
  const std::string& error() const { return error_; }

 private:
  bool fill();
  int fd_ = -1;
  bool owns_fd_ = false;
  bool eof_ = false;
  size_t max_line_ = 0;
  std::string buf_;
  size_t begin_ = 0, end_ = 0;
  uint64_t base_ = 0;  // input offset of buf_[0]
  uint64_t line_no_ = 0;
  std::string error_;
  std::string long_line_;
};

}  // namespace soc
