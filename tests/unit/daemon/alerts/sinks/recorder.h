// A real HTTP server on loopback for the sink tests (the correlator's own CivetWeb adapter): it
// records what it is posted and answers with the statuses the test queues.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/http/server.h"

namespace soc::test {

struct Posted {
  std::string path, body, signature;
};

class Recorder {
 public:
  explicit Recorder(std::string path) {
    server_.route("POST", path, [this](const daemon::http::Request& q) {
      std::lock_guard lk(mu_);
      int status = 200;
      if (!statuses_.empty()) {
        status = statuses_.front();
        statuses_.pop_front();
      }
      if (status >= 200 && status <= 299) posted_.push_back({q.path, q.body, std::string(q.header("X-Soc-Signature"))});
      return daemon::http::Response::json("{}", status);
    });
    daemon::http::ServerOptions o;
    o.address = "127.0.0.1:0";
    o.threads = 2;
    o.max_body_bytes = 8 << 20;
    ok_ = server_.start(o).ok();
  }
  bool ok() const { return ok_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  void answer(std::vector<int> statuses) {
    std::lock_guard lk(mu_);
    statuses_.assign(statuses.begin(), statuses.end());
  }
  std::vector<Posted> posted() {
    std::lock_guard lk(mu_);
    return posted_;
  }

 private:
  daemon::http::Server server_;
  std::mutex mu_;
  std::deque<int> statuses_;
  std::vector<Posted> posted_;
  bool ok_ = false;
};

}  // namespace soc::test
