// Child processes for socctl demo: spawn with arguments, output to a file, signal, reap.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/result.h"

namespace soc::ctl {

class Child {
 public:
  // Starts `argv[0]` (a path) with stdout and stderr appended to `log_path` ("" keeps them).
  static Result<Child> spawn(const std::vector<std::string>& argv, const std::string& log_path);

  pid_t pid() const { return pid_; }
  // True while running; reaps the child and records its status once it ended.
  bool running();
  // Exit code once ended (128 + signal when killed), -1 while running.
  int exit_code() const { return exit_code_; }
  void signal(int sig) const;
  // Sends SIGTERM, waits up to `seconds`, then SIGKILL.
  int stop(double seconds = 5.0);
  // Waits for the end; returns the exit code.
  int wait();

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// Directory of the running executable (/proc/self/exe).
std::string self_dir();
// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port();
// True when something accepts connections on 127.0.0.1:port.
bool port_open(int port);
// GET http://127.0.0.1:port/path; the body, or an error.
Result<std::string> http_get(int port, const std::string& path);

}  // namespace soc::ctl
