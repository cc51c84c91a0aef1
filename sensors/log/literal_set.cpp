#include "sensors/log/literal_set.h"

#include <algorithm>
#include <cassert>
#include <deque>

namespace soc::sensors::log {

int LiteralSet::add(std::string_view literal) {
  assert(!literal.empty() && next_.empty());
  for (size_t i = 0; i < literals_.size(); ++i)
    if (literals_[i] == literal) return static_cast<int>(i);
  literals_.emplace_back(literal);
  return static_cast<int>(literals_.size() - 1);
}

void LiteralSet::build() {
  // Bytes that occur in no literal share class 0: they lead back to the root from any state,
  // and the table needs a column only per byte the literals use.
  classes_ = 1;
  std::fill(std::begin(cls_), std::end(cls_), uint8_t{0});
  for (const auto& l : literals_)
    for (unsigned char c : l)
      if (cls_[c] == 0) cls_[c] = static_cast<uint8_t>(classes_++);
  words_ = (literals_.size() + 63) / 64;

  // The trie: 0 is the root, and no edge leads to the root, so 0 also means "no edge".
  next_.assign(classes_, 0);
  out_.assign(words_, 0);
  for (size_t id = 0; id < literals_.size(); ++id) {
    uint32_t s = 0;
    for (unsigned char c : literals_[id]) {
      uint32_t& t = next_[s * classes_ + cls_[c]];
      if (t == 0) {
        t = static_cast<uint32_t>(next_.size() / classes_);
        next_.resize(next_.size() + classes_, 0);
        out_.resize(out_.size() + words_, 0);
      }
      s = next_[s * classes_ + cls_[c]];
    }
    out_[s * words_ + id / 64] |= uint64_t{1} << (id % 64);
  }
  // Failure links breadth first; the missing edges become the failure state's edge, so that a
  // scan never follows a failure link (one lookup per byte).
  const size_t states = next_.size() / classes_;
  std::vector<uint32_t> fail(states, 0);
  std::deque<uint32_t> queue;
  for (uint32_t c = 0; c < classes_; ++c)
    if (uint32_t t = next_[c]) queue.push_back(t);
  while (!queue.empty()) {
    const uint32_t s = queue.front();
    queue.pop_front();
    for (uint32_t c = 0; c < classes_; ++c) {
      uint32_t& t = next_[s * classes_ + c];
      const uint32_t via_fail = next_[fail[s] * classes_ + c];
      if (t == 0) {
        t = via_fail;
        continue;
      }
      fail[t] = via_fail;
      for (size_t w = 0; w < words_; ++w) out_[t * words_ + w] |= out_[via_fail * words_ + w];
      queue.push_back(t);
    }
  }
  // Renumber the states so that those where a literal ends come last, and store each edge as
  // its target's row offset: a scan then costs one load and one compare per byte.
  std::vector<uint32_t> order, renum(states);
  for (int pass = 0; pass < 2; ++pass)
    for (uint32_t st = 0; st < states; ++st) {
      bool any = false;
      for (size_t w = 0; w < words_; ++w) any = any || out_[st * words_ + w] != 0;
      if (any == (pass == 1)) {
        renum[st] = static_cast<uint32_t>(order.size());
        order.push_back(st);
      }
    }
  // The root has no output (literals are not empty), so it stays state 0.
  assert(order[0] == 0);
  std::vector<uint32_t> next(next_.size());
  std::vector<uint64_t> out(out_.size());
  first_out_ = states * classes_;
  for (uint32_t n = 0; n < states; ++n) {
    const uint32_t o = order[n];
    for (uint32_t c = 0; c < classes_; ++c) next[n * classes_ + c] = renum[next_[o * classes_ + c]] * classes_;
    for (size_t w = 0; w < words_; ++w) {
      out[n * words_ + w] = out_[o * words_ + w];
      if (out_[o * words_ + w] && n * classes_ < first_out_) first_out_ = n * classes_;
    }
  }
  next_ = std::move(next);
  out_ = std::move(out);
}

void LiteralSet::scan(std::string_view text, Found& found) const {
  found.assign(words_, 0);
  if (next_.empty()) return;
  const uint32_t* next = next_.data();
  const uint32_t classes = classes_;
  uint32_t s = 0;  // the state's row offset: state * classes
  for (unsigned char c : text) {
    s = next[s + cls_[c]];
    if (s >= first_out_) [[unlikely]] {
      const size_t state = s / classes;
      for (size_t w = 0; w < words_; ++w) found[w] |= out_[state * words_ + w];
    }
  }
}

}  // namespace soc::sensors::log
