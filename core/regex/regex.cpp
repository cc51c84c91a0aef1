#define PCRE2_CODE_UNIT_WIDTH 8
#include "core/regex/regex.h"

#include <fmt/core.h>
#include <pcre2.h>

#include <atomic>
#include <mutex>
#include <utility>

namespace soc::regex {

struct Regex::Code {
  pcre2_code* code = nullptr;
  // JIT compiling takes several times as long as compiling (some 150,000 instructions for a
  // decoder's expression), so it is done on the first match: a log sensor loads ~190
  // expressions and a given log meets only some of them.
  std::once_flag jit;
  std::atomic<bool> jitted{false};  // the fast path: no call_once once it is done
  // JIT code exists and the subject needs no UTF check: pcre2_jit_match() skips the option and
  // subject checks pcre2_match() repeats on every call (a fifth of a failed anchored match).
  bool jit_direct = false;
  bool utf = false;
  ~Code() {
    if (code) pcre2_code_free(code);
  }
};

namespace {

// Bounds on one match against untrusted text: PCRE2's default match limit (10 million
// backtracking steps) lets a hostile 64 KiB line cost tens of milliseconds in one badly
// behaved pattern; a legitimate log line needs a few thousand steps, a 64 KiB one scanned by a
// lazy ".*?" some 65,000. Past the limit the match fails (counted as no match, as the header
// comment says). Shared read-only by every thread.
constexpr uint32_t kMatchLimit = 100'000;
constexpr uint32_t kDepthLimit = 100'000;

pcre2_match_context* bounded_context() {
  static pcre2_match_context* ctx = [] {
    pcre2_match_context* c = pcre2_match_context_create(nullptr);
    if (c) {
      pcre2_set_match_limit(c, kMatchLimit);
      pcre2_set_depth_limit(c, kDepthLimit);
    }
    return c;
  }();
  return ctx;
}

}  // namespace

struct Regex::Captures::Impl {
  pcre2_match_data* data = nullptr;
  uint32_t size = 0;  // ovector pairs
  const char* subject = nullptr;
  int count = 0;  // return value of the last match
  ~Impl() {
    if (data) pcre2_match_data_free(data);
  }
};

Regex::Captures::Captures() : impl_(std::make_unique<Impl>()) {}
Regex::Captures::~Captures() = default;

bool Regex::Captures::matched(int n) const {
  if (!impl_->data || n < 0 || static_cast<uint32_t>(n) >= impl_->size || n >= impl_->count) return false;
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(impl_->data);
  return ov[2 * n] != PCRE2_UNSET;
}

std::string_view Regex::Captures::group(int n) const {
  if (!matched(n)) return {};
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(impl_->data);
  return std::string_view(impl_->subject + ov[2 * n], ov[2 * n + 1] - ov[2 * n]);
}

Result<Regex> Regex::compile(std::string_view pattern, Options options) {
  uint32_t flags = PCRE2_DUPNAMES;
  if (options.utf) flags |= PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
  if (options.ignore_case) flags |= PCRE2_CASELESS;
  if (options.multiline) flags |= PCRE2_MULTILINE;
  if (options.dot_all) flags |= PCRE2_DOTALL;
  int err = 0;
  PCRE2_SIZE err_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), flags, &err,
                                   &err_offset, nullptr);
  if (!code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof buf);
    return fail("regex.syntax", fmt::format("{} at offset {}", reinterpret_cast<const char*>(buf), err_offset));
  }
  Regex r;
  r.code_ = new Code;
  r.code_->code = code;
  r.code_->utf = options.utf;
  uint32_t cap = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &cap);
  r.capture_count_ = static_cast<int>(cap);
  uint32_t name_count = 0, entry_size = 0;
  PCRE2_SPTR table = nullptr;
  pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &name_count);
  pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
  pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
  for (uint32_t i = 0; i < name_count; ++i) {
    PCRE2_SPTR e = table + i * entry_size;
    int n = (e[0] << 8) | e[1];
    r.groups_.push_back({std::string(reinterpret_cast<const char*>(e + 2)), n});
  }
  return r;
}

Regex::Regex(Regex&& o) noexcept
    : code_(std::exchange(o.code_, nullptr)), groups_(std::move(o.groups_)), capture_count_(o.capture_count_) {}

Regex& Regex::operator=(Regex&& o) noexcept {
  if (this != &o) {
    delete code_;
    code_ = std::exchange(o.code_, nullptr);
    groups_ = std::move(o.groups_);
    capture_count_ = o.capture_count_;
  }
  return *this;
}

Regex::~Regex() { delete code_; }

int Regex::match(std::string_view subject, Captures& caps) const {
  // JIT is an optimisation: when it is unavailable (some hardened kernels forbid executable
  // memory) the interpreter gives the same results, slower. call_once: threads sharing the
  // pattern wait for the one that compiles it.
  if (!code_->jitted.load(std::memory_order_acquire))
    std::call_once(code_->jit, [c = code_] {
      c->jit_direct = pcre2_jit_compile(c->code, PCRE2_JIT_COMPLETE) == 0 && !c->utf;
      c->jitted.store(true, std::memory_order_release);
    });
  auto& m = *caps.impl_;
  const uint32_t need = static_cast<uint32_t>(capture_count_) + 1;
  if (!m.data || m.size < need) {
    if (m.data) pcre2_match_data_free(m.data);
    m.data = pcre2_match_data_create(std::max<uint32_t>(need, 16), nullptr);
    m.size = std::max<uint32_t>(need, 16);
  }
  m.subject = subject.data();
  const auto* text = reinterpret_cast<PCRE2_SPTR>(subject.data());
  int rc = code_->jit_direct ? pcre2_jit_match(code_->code, text, subject.size(), 0, 0, m.data, bounded_context())
                             : pcre2_match(code_->code, text, subject.size(), 0, 0, m.data, bounded_context());
  m.count = rc > 0 ? rc : 0;
  return rc;
}

bool Regex::search(std::string_view subject, Captures& caps) const { return match(subject, caps) > 0; }

bool Regex::rules_out(std::string_view subject, Captures& caps) const {
  return match(subject, caps) == PCRE2_ERROR_NOMATCH;
}

}  // namespace soc::regex
