// URL normalization for web events (docs/fields.md "URL fields", docs/adr/0031-detection-breadth.md):
// rules match what a request asks for, not how it was spelt. Pure functions on untrusted bytes:
// linear time, no exceptions.
#pragma once

#include <string>
#include <string_view>

namespace soc {

struct NormalizedUrl {
  // The path the server resolves: percent-decoded (twice at most, so that double encoding is
  // undone), backslashes as slashes, "." and ".." segments resolved (never above the root,
  // "..;" as ".." the way Java servers read it), runs of slashes as one. Always starts with '/'
  // when the input had a path. Scheme and host of an absolute URL are dropped.
  std::string path;
  // The query after '?', '+' as space and percent-decoded twice at most; empty when none.
  std::string query;
  bool has_query = false;
  // The decoded request as written: path and query decoded as above, backslashes as slashes,
  // but dot segments kept ("/static/../../etc/passwd"), so that rules see the traversal.
  std::string decoded;
};

// `%00` stays as the three characters "%00" in every output (a NUL byte is never produced), and
// so does a '%' not followed by two hex digits.
NormalizedUrl normalize_url(std::string_view original);
// The same into `n`, reusing the capacity of its strings (the log sensor normalizes the URL of
// every web line into one NormalizedUrl).
void normalize_url(std::string_view original, NormalizedUrl& n);

}  // namespace soc
