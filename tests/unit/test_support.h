// Helpers shared by the unit tests: a temporary directory that removes itself, and capture of
// what a function writes to stdout and stderr (through the file descriptors, so that both
// std::fputs and std::cout are caught).
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace soc::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "soc-unit-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `text` to `name` inside the directory and returns the full path.
  std::string write(const std::string& name, const std::string& text) const {
    const auto p = path_ / name;
    std::ofstream out(p, std::ios::binary);
    out << text;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

struct Captured {
  std::string out;
  std::string err;
};

namespace detail {

class FdRedirect {
 public:
  FdRedirect(int fd, std::FILE* stream) : fd_(fd), stream_(stream) {
    std::fflush(stream_);
    file_ = std::tmpfile();
    saved_ = dup(fd_);
    dup2(fileno(file_), fd_);
  }
  std::string finish() {
    std::fflush(stream_);
    dup2(saved_, fd_);
    close(saved_);
    std::string text;
    std::rewind(file_);
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) text.append(buf, n);
    std::fclose(file_);
    return text;
  }

 private:
  int fd_;
  std::FILE* stream_;
  std::FILE* file_ = nullptr;
  int saved_ = -1;
};

}  // namespace detail

// Runs `fn` with stdout and stderr going to temporary files and returns what was written.
// Keep doctest assertions outside `fn`: their reports would be captured too.
inline Captured capture_output(const std::function<void()>& fn) {
  detail::FdRedirect out(STDOUT_FILENO, stdout);
  detail::FdRedirect err(STDERR_FILENO, stderr);
  fn();
  Captured c;
  c.err = err.finish();
  c.out = out.finish();
  return c;
}

}  // namespace soc::test
