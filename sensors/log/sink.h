// Where the log sensor's events go: JSON lines on stdout, or the correlator through the
// transport (at least once, with the sender's bounded window or spool, and heartbeats).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/result.h"
#include "core/transport/connect_options.h"
#include "core/transport/sender.h"

namespace soc::sensors::log {

class Sink {
 public:
  // Nothing to open without --connect (stdout). `interrupted` ends a wait for room (a full spool
  // under --spool-full block, a correlator away): SIGTERM. Errors: "usage" or "config".
  Result<void> open(const transport::ConnectOptions& c, int64_t heartbeat_s, std::function<bool()> interrupted);
  bool to_correlator() const { return sender_ != nullptr; }
  transport::Sender* sender() { return sender_.get(); }
  // True when the events wait in a spool, on disk, rather than in memory only.
  bool spooled() const { return sender_ && sender_->stats().spool; }
  // Adds the sensor's counters to each heartbeat (nothing without --connect).
  void on_heartbeat(std::function<void(Event&)> fill) {
    if (sender_) sender_->on_heartbeat(std::move(fill));
  }
  // True when every event put so far is written to stdout (stdout only).
  bool all_written() const { return out_.empty(); }

  // Takes one event; stdout output is buffered until service().
  Result<void> put(const Event& e);
  // Acks, the flush deadline, heartbeats; never waits.
  Result<void> service();
  // How long the main loop may wait for input (at most `max_ms`) before the sender has
  // something to do; and the descriptors that end the wait when the correlator answers.
  int wait_ms(int max_ms);
  const std::vector<int>& wake_fds() const { return wake_fds_; }
  // Writes what stdout holds, or waits (at most `timeout`) for the correlator's acknowledgements.
  Result<void> finish(std::chrono::milliseconds timeout);

 private:
  void flush_stdout();
  std::unique_ptr<transport::Sender> sender_;
  std::vector<int> wake_fds_;
  std::string line_, out_;
};

}  // namespace soc::sensors::log
