// A scratch Prometheus Alertmanager for socctl demo: when Debian's prometheus-alertmanager is
// installed, the demo starts one on loopback with a config and data folder of its own (in the
// demo's temporary folder) and gives its URL to the correlator (--alertmanager), so the demo's
// alerts are delivered where on-call responders would be paged from. Stopped with the demo.
#pragma once

#include <string>

#include "core/result.h"
#include "socctl/process.h"

namespace soc::ctl {

class DemoAlertmanager {
 public:
  // Starts it in `dir` (created) on a free loopback port and waits until it is ready (15 s at
  // most). Error "missing" when the binary is not installed, "start" when it did not come up
  // (its log's last lines in the message).
  static Result<DemoAlertmanager> start(const std::string& dir);

  const std::string& url() const { return url_; }
  // The alerts it holds as active now (GET /api/v2/alerts), or an error.
  Result<size_t> active_alerts() const;
  void stop();

 private:
  Child proc_;
  int port_ = 0;
  std::string url_;
};

}  // namespace soc::ctl
