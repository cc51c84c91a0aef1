#include "core/url.h"

#include <vector>

namespace soc {
namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One round of percent-decoding; `plus` turns '+' into a space first (query strings). Returns
// whether anything was decoded.
bool decode_round(std::string_view in, bool plus, std::string& out) {
  out.clear();
  out.reserve(in.size());
  bool changed = false;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      const int h = hex(in[i + 1]), l = hex(in[i + 2]);
      if (h >= 0 && l >= 0 && (h | l) != 0) {  // %00 stays: never a NUL byte
        out.push_back(static_cast<char>(h * 16 + l));
        i += 2;
        changed = true;
        continue;
      }
    }
    if (plus && c == '+') {
      out.push_back(' ');
      changed = true;
      continue;
    }
    out.push_back(c);
  }
  return changed;
}

// Percent-decoding twice at most: a second round only when the first produced a new escape.
std::string decode_twice(std::string_view in, bool plus) {
  std::string once, twice;
  if (!decode_round(in, plus, once)) return once;
  if (once.find('%') == std::string::npos) return once;
  decode_round(once, false, twice);
  return twice;
}

// RFC 3986 remove_dot_segments on a path that starts with '/', plus: runs of '/' are one, and a
// segment "..;anything" counts as ".." (Tomcat and Jetty strip path parameters first).
std::string resolve(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t i = 0;
  bool trailing_slash = false;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) {
      trailing_slash = !segments.empty() || !path.empty();
      break;
    }
    size_t e = path.find('/', i);
    if (e == std::string_view::npos) e = path.size();
    const std::string_view seg = path.substr(i, e - i);
    const bool last = e >= path.size();
    if (seg == ".") {
      trailing_slash = last;
    } else if (seg == ".." || seg.substr(0, 3) == "..;") {
      if (!segments.empty()) segments.pop_back();
      trailing_slash = last;
    } else {
      segments.push_back(seg);
      trailing_slash = false;
    }
    i = e;
  }
  std::string out;
  for (auto s : segments) {
    out.push_back('/');
    out.append(s);
  }
  if (out.empty() || trailing_slash) out.push_back('/');
  return out;
}

}  // namespace

NormalizedUrl normalize_url(std::string_view original) {
  NormalizedUrl n;
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
    n.query = decode_twice(raw.substr(q + 1), true);
  }
  std::string path = decode_twice(raw_path, false);
  for (char& c : path)
    if (c == '\\') c = '/';
  n.decoded = path;
  if (n.has_query) {
    n.decoded.push_back('?');
    n.decoded.append(n.query);
  }
  if (!path.empty() && path[0] != '/') path.insert(path.begin(), '/');
  n.path = path.empty() ? std::string() : resolve(path);
  return n;
}

}  // namespace soc
