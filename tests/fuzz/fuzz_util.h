// Helpers shared by the fuzz targets: a file in memory for the loaders that read a path, and a
// line splitter for the line-oriented parsers.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace soc::fuzz {

// The bytes as a file at /proc/self/fd/N (a memfd), for loaders that take a path; the path is
// valid until the object is destroyed. The name makes the loader's diagnostics readable.
class MemoryFile {
 public:
  MemoryFile(const char* name, const uint8_t* data, size_t size) {
    fd_ = ::memfd_create(name, MFD_CLOEXEC);
    size_t done = 0;
    while (fd_ >= 0 && done < size) {
      const ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// Calls f(line) for every line of the input ('\n' removed), as the sensors read files.
template <typename F>
void for_each_line(const uint8_t* data, size_t size, F&& f) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    f(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
}

}  // namespace soc::fuzz
