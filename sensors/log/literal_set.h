// Which of a fixed set of literal strings occur in a text, found in one pass (an Aho-Corasick
// automaton unrolled into a table: one lookup per byte of the text, whatever the number of
// literals). The decoders' rule prefilters are such literals: a line is scanned once and each
// rule then tests a bit, where testing each prefilter with its own string search scanned the
// line once per rule (a web line met some twenty of them before its decoder).
//
// Built once (add() then build()), immutable after; scan() may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace soc::sensors::log {

class LiteralSet {
 public:
  // Adds a non-empty literal (bytes, case-sensitive) before build(); returns its id, the same
  // id for the same literal added twice.
  int add(std::string_view literal);
  void build();
  size_t size() const { return literals_.size(); }
  bool empty() const { return literals_.empty(); }

  // A bit per literal id: bit i of word i / 64 is set when literal i occurs in the text.
  using Found = std::vector<uint64_t>;
  // Sets `found` (resized to the set's words) to the literals that occur in `text`. Cost: one
  // table lookup per byte of `text`.
  void scan(std::string_view text, Found& found) const;
  static bool has(const Found& found, int id) {
    return (found[static_cast<size_t>(id) / 64] >> (static_cast<unsigned>(id) % 64)) & 1u;
  }

 private:
  std::vector<std::string> literals_;
  uint8_t cls_[256] = {};   // byte -> class; 0 for a byte no literal holds
  uint32_t classes_ = 1;
  size_t words_ = 0;
  std::vector<uint32_t> next_;  // state * classes_ + class -> the next state * classes_
  std::vector<uint64_t> out_;   // state * words_ + w: the literals that end at this state
  uint32_t first_out_ = 0;      // states from this row offset on end a literal
};

}  // namespace soc::sensors::log
