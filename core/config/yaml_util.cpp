#include "core/config/yaml_util.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include <yaml-cpp/eventhandler.h>

namespace soc::config {

namespace {

// yaml-cpp 0.7's LoadAll never ends on some malformed streams (a stray ',' at the start of a
// line at the top level): the parser returns an empty document without consuming the token,
// again and again, and LoadAll keeps every one until memory runs out. A first pass with a
// handler that keeps nothing finds that: a document that starts where the previous one did.
class DocumentStarts final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  YAML::Mark start;
};

// Throws YAML::Exception for a syntax error, as LoadAll would, and for a stream on which
// LoadAll would not end.
void check_documents_progress(const std::string& source) {
  std::istringstream in(source);
  YAML::Parser parser(in);
  DocumentStarts handler;
  int previous = -1;
  while (parser.HandleNextDocument(handler)) {
    if (handler.start.pos == previous) throw YAML::ParserException(handler.start, "unexpected character here");
    previous = handler.start.pos;
  }
}

}  // namespace

Diagnostic diag_at(const std::string& path, const YAML::Mark& mark, std::string code, std::string message) {
  Diagnostic d;
  d.file = path;
  d.line = mark.line >= 0 ? mark.line + 1 : 0;
  d.column = mark.column >= 0 ? mark.column + 1 : 0;
  d.code = std::move(code);
  d.message = std::move(message);
  return d;
}

Diagnostic diag_at(const std::string& path, const YAML::Node& node, std::string code, std::string message) {
  return diag_at(path, node.Mark(), std::move(code), std::move(message));
}

bool load_yaml(const std::string& path, const std::string& source, YAML::Node& out, std::vector<Diagnostic>& diags) {
  try {
    out = YAML::Load(source);
    return true;
  } catch (const YAML::Exception& e) {
    diags.push_back(diag_at(path, e.mark, "yaml.syntax", e.msg));
    return false;
  }
}

bool load_yaml_all(const std::string& path, const std::string& source, std::vector<YAML::Node>& out,
                   std::vector<Diagnostic>& diags) {
  try {
    check_documents_progress(source);
    out = YAML::LoadAll(source);
    return true;
  } catch (const YAML::Exception& e) {
    diags.push_back(diag_at(path, e.mark, "yaml.syntax", e.msg));
    return false;
  }
}

std::string describe_size(size_t bytes) {
  if (bytes >= (1 << 20) && bytes % (1 << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= (1 << 10) && bytes % (1 << 10) == 0) return fmt::format("{} KiB", bytes >> 10);
  std::string digits = std::to_string(bytes);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<size_t>(i), ",");
  return digits + " bytes";
}

std::optional<Diagnostic> read_file_bounded(const std::string& path, std::string& out, size_t max_bytes,
                                            const std::string& unreadable_code) {
  out.clear();
  auto unreadable = [&](int err) {
    return Diagnostic{path, 0, 0, unreadable_code, fmt::format("cannot read the file: {}", std::strerror(err))};
  };
  auto too_large = [&](const std::string& size) {
    return Diagnostic{path, 0, 0, "file.too_large",
                      fmt::format("the file is {}, more than the {} a file of this kind may have; it was not read", size,
                                  describe_size(max_bytes))};
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return unreadable(errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return unreadable(err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return unreadable(EISDIR);
  }
  if (S_ISREG(st.st_mode) && static_cast<unsigned long long>(st.st_size) > max_bytes) {
    ::close(fd);
    return too_large(describe_size(static_cast<size_t>(st.st_size)));
  }
  out.resize(S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) + 1 : 64 * 1024);
  size_t got = 0;
  for (;;) {
    if (got == out.size()) {
      if (got > max_bytes) break;
      out.resize(std::min(out.size() * 2, max_bytes + 1));
    }
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      out.clear();
      return unreadable(err);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got > max_bytes) {
    out.clear();
    return too_large("larger than " + describe_size(max_bytes));
  }
  out.resize(got);
  return std::nullopt;
}

bool read_file(const std::string& path, std::string& out) {
  return !read_file_bounded(path, out, kMaxFileBytes, "file.unreadable");
}

}  // namespace soc::config
