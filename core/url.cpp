#include "core/url.h"

#include <cstring>

namespace soc {
namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One round of percent-decoding into `out` (its capacity reused); `plus` turns '+' into a space
// first (query strings). Returns whether anything was decoded.
bool decode_round(std::string_view in, bool plus, std::string& out) {
  // Most paths and queries hold no escape: one search, one copy.
  if (std::memchr(in.data(), '%', in.size()) == nullptr && (!plus || std::memchr(in.data(), '+', in.size()) == nullptr)) {
    out.assign(in.data(), in.size());
    return false;
  }
  out.resize(in.size());  // decoding never lengthens
  char* w = out.data();
  bool changed = false;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      const int h = hex(in[i + 1]), l = hex(in[i + 2]);
      if (h >= 0 && l >= 0 && (h | l) != 0) {  // %00 stays: never a NUL byte
        *w++ = static_cast<char>(h * 16 + l);
        i += 2;
        changed = true;
        continue;
      }
    }
    if (plus && c == '+') {
      *w++ = ' ';
      changed = true;
      continue;
    }
    *w++ = c;
  }
  out.resize(static_cast<size_t>(w - out.data()));
  return changed;
}

// Percent-decoding twice at most into `out`: a second round only when the first produced a new
// escape. `scratch` is the second round's buffer.
void decode_twice(std::string_view in, bool plus, std::string& out, std::string& scratch) {
  if (!decode_round(in, plus, out)) return;
  if (out.find('%') == std::string::npos) return;
  decode_round(out, false, scratch);
  out.swap(scratch);
}

// RFC 3986 remove_dot_segments on a path that starts with '/', into `out`, plus: runs of '/' are
// one, and a segment "..;anything" counts as ".." (Tomcat and Jetty strip path parameters
// first). Every segment written starts with its '/', so dropping the last one is cutting `out`
// at its last '/'.
void resolve(std::string_view path, std::string& out) {
  out.clear();
  size_t i = 0;
  bool trailing_slash = false;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) {
      trailing_slash = !out.empty() || !path.empty();
      break;
    }
    size_t e = path.find('/', i);
    if (e == std::string_view::npos) e = path.size();
    const std::string_view seg = path.substr(i, e - i);
    const bool last = e >= path.size();
    if (seg == ".") {
      trailing_slash = last;
    } else if (seg == ".." || seg.substr(0, 3) == "..;") {
      if (!out.empty()) out.resize(out.rfind('/'));
      trailing_slash = last;
    } else {
      out.push_back('/');
      out.append(seg);
      trailing_slash = false;
    }
    i = e;
  }
  if (out.empty() || trailing_slash) out.push_back('/');
}

}  // namespace

void normalize_url(std::string_view original, NormalizedUrl& n) {
  // Scratch buffers per thread, kept between calls: a web event costs no allocation once warm.
  static thread_local std::string path, scratch;
  n.path.clear();
  n.query.clear();
  n.has_query = false;
  std::string_view raw = original;
  // Absolute form ("GET http://host/path"): keep what follows the authority.
  if (const size_t scheme = raw.find("://"); scheme != std::string_view::npos && scheme < 16 &&
                                            raw.find_first_of("/?") == scheme + 1) {
    const size_t slash = raw.find('/', scheme + 3);
    raw = slash == std::string_view::npos ? std::string_view("/") : raw.substr(slash);
  }
  if (const size_t hash = raw.find('#'); hash != std::string_view::npos) raw = raw.substr(0, hash);
  const size_t q = raw.find('?');
  const std::string_view raw_path = raw.substr(0, q);
  if (q != std::string_view::npos) {
    n.has_query = true;
    decode_twice(raw.substr(q + 1), true, n.query, scratch);
  }
  decode_twice(raw_path, false, path, scratch);
  for (char& c : path)
    if (c == '\\') c = '/';
  n.decoded.assign(path);
  if (n.has_query) {
    n.decoded.push_back('?');
    n.decoded.append(n.query);
  }
  if (!path.empty() && path[0] != '/') path.insert(path.begin(), '/');
  if (!path.empty()) resolve(path, n.path);
}

NormalizedUrl normalize_url(std::string_view original) {
  NormalizedUrl n;
  normalize_url(original, n);
  return n;
}

}  // namespace soc
