// The correlator's state directory (`--state-dir DIR`, docs/adr/0018-state-directory.md): one
// folder for everything the correlator keeps across restarts. open() creates it (mode 0700) when
// missing, checks or writes its layout version, and takes an exclusive lock on DIR/lock for the
// life of the object, so that two correlators never share one folder.
//
// Errors are values with code "state_dir"; the correlator exits 78 on them (the message names
// the folder and the cause in words). Thread-safe after open(): it only hands out paths.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace soc::daemon {

class StateDir {
 public:
  static constexpr int kLayoutVersion = 1;

  static Result<std::unique_ptr<StateDir>> open(const std::string& path);
  ~StateDir();  // releases the lock
  StateDir(const StateDir&) = delete;
  StateDir& operator=(const StateDir&) = delete;

  const std::string& path() const { return path_; }
  // DIR/name.
  std::string file(std::string_view name) const;
  // DIR/name/, created (0700) when missing.
  Result<std::string> subdir(std::string_view name) const;

  // Writes `bytes` to DIR/name atomically: NAME.tmp, fsync, rename, fsync of the folder. A crash
  // leaves the old content or the new, never a mix. `name` may name a file in a subdir.
  Result<void> write_atomically(std::string_view name, std::string_view bytes) const;

 private:
  StateDir(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}
  std::string path_;
  int lock_fd_ = -1;
};

}  // namespace soc::daemon
