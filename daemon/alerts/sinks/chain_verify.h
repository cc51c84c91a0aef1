// Verification of the hash-chained alert log (chain_log.h, docs/alert-log.md): what `socctl
// audit verify FILE...` runs. Files are given in chain order (oldest first); the links between
// them are checked too.
//
// The verdict names the first bad line and what the chain tells about it, the reason starting
// with one word: "edited" (a line's bytes changed: the next line records another hash),
// "deleted" (records missing: seq jumps and nothing later fills the gap), "inserted" (a line
// that is not part of the chain: the line after it links to the line before it), "reordered"
// (the missing seq comes later), "truncated" (a file ends inside a line, or before the records
// the next file continues from).
//
// What the chain cannot tell: a change to the last line of the last file that keeps it a valid
// record, or lines cut at a line boundary from the end of the last file (nothing comes after
// them); compare the verdict's head with one recorded elsewhere (the correlator logs it at each
// rotation). Rewriting a line and every line after it is not detected either: the chain has no
// secret (docs/alert-log.md, "What it proves").
//
// Bounded: one line (at most kMaxRecordBytes) and a window of recent line digests in memory, two
// passes over the files at most. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace soc::daemon::alerts::sinks {

struct ChainVerdict {
  bool intact = false;
  // When not intact: the first bad line ("FILE:LINE: reason" in message()).
  std::string file;
  uint64_t line = 0;
  std::string reason;
  // What was read.
  uint64_t records = 0;
  uint64_t first_seq = 0, last_seq = 0;
  std::string head;           // SHA-256 of the last line read
  bool from_genesis = false;  // the first file begins the chain

  std::string message() const;
};

ChainVerdict verify_chain(std::span<const std::string> files);

}  // namespace soc::daemon::alerts::sinks
