// The sensor side of the transport: batches events, sends them to the correlator over a ZeroMQ
// DEALER socket (CURVE unless insecure), keeps every batch until the correlator acknowledges it,
// resends unacknowledged batches after a reconnect or a timeout (the correlator drops repeats),
// and sends a heartbeat with the sensor's counters every heartbeat_interval.
//
// A batch leaves when it is full (batch_max_events, batch_max_bytes) or when its oldest event
// has waited flush_deadline, whichever comes first: low rates are fast, high rates still batch.
//
// Without a spool, unacknowledged batches are held in memory only (max_unacked_batches), and
// send() waits (servicing acks) when that window is full: a crash loses them. With a spool
// (SenderConfig::spool, docs/adr/0027-sender-spool.md) every batch is written to disk before it
// is sent and deleted once acknowledged; a sender started again on the same spool resends, in
// their own epochs and with their sequence numbers, the batches that were not acknowledged, and
// tells its owner where its input stood (recovered_position()).
//
// Single-threaded: the owner calls send()/poll() from one thread. Memory is bounded by
// max_unacked_batches * batch_max_bytes (plus one pending batch); the spool by its byte limit.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/result.h"
#include "core/transport/spool.h"
#include "core/z85.h"

namespace soc::transport {

struct SenderConfig {
  std::string endpoint;  // tcp://host:port
  bool insecure = false;
  CurveKey server_public_key{};
  CurveKey secret_key{};  // the sensor's; its public key is derived
  std::string sensor_id;
  std::string site;
  size_t batch_max_events = 512;
  size_t batch_max_bytes = 1 << 20;
  // A batch leaves at the latest when its oldest event has waited this long (--flush-deadline).
  std::chrono::microseconds flush_deadline{10'000};
  size_t max_unacked_batches = 64;
  std::chrono::milliseconds ack_timeout{10'000};       // resend what is unacknowledged after this
  std::chrono::milliseconds heartbeat_interval{10'000};
  // An authentication refusal (unknown key) or a nack ends the sender with an error (true for
  // one-shot tools like socctl send); a daemon keeps retrying and logs (false).
  bool fail_on_refusal = true;
  // send()/drain() give up when no acknowledgement arrives for this long (0: wait forever).
  std::chrono::milliseconds stall_timeout{0};
  // The on-disk spool (--spool); none: the in-memory window only.
  std::optional<SpoolConfig> spool;
  // Asked while send() waits for room: true makes it return the error "interrupted" (a daemon's
  // SIGTERM must not wait for a correlator that is away). drain() is bounded by its own timeout.
  std::function<bool()> interrupted;
};

// Reads the correlator's public key and the sensor's secret key (key files as socctl keygen
// writes them) into `config`. Does nothing when config.insecure. The error names the file.
Result<void> load_keys(SenderConfig& config, const std::string& server_pub_path, const std::string& secret_key_path);

struct SenderStats {
  uint64_t events_queued = 0;  // handed to send() in this run
  uint64_t events_acked = 0;   // acknowledged in this run (resent spooled events included)
  uint64_t events_dropped = 0; // dropped by the spool's limits or a failing disk (all reasons)
  uint64_t events_dropped_full = 0;
  uint64_t events_dropped_age = 0;
  uint64_t events_dropped_error = 0;  // the disk refused them (spool segments deleted for room, or the newest batch)
  // Of events_dropped: dropped after they had been sent, and acknowledged later (they arrived).
  uint64_t events_dropped_delivered = 0;
  uint64_t events_unacked = 0;  // held (memory, pending, spool) and not yet acknowledged
  uint64_t batches_sent = 0;
  uint64_t batches_resent = 0;
  uint64_t heartbeats_sent = 0;
  uint64_t refusals = 0;  // authentication refusals and nacks
  uint64_t next_sequence = 0;
  uint64_t window_batches = 0;  // batches in memory
  uint64_t window_limit = 0;
  double oldest_unacked_age_s = 0;  // age of the oldest batch not yet acknowledged
  bool spool = false;
  SpoolStats spool_stats;
  bool connected = false;
};

class Sender {
 public:
  // Errors: code "config" for an unusable spool (exit 78), others for the endpoint and keys.
  static Result<std::unique_ptr<Sender>> connect(const SenderConfig& config);
  virtual ~Sender() = default;

  // Queues one event, already encoded as a JSON object without newline. May wait for room (the
  // window full without a spool, or a full spool under Block); returns "interrupted" when
  // config.interrupted() says so meanwhile (the event is then not queued).
  virtual Result<void> send(std::string_view json) = 0;
  // Closes the current batch and hands it to ZeroMQ.
  virtual Result<void> flush() = 0;
  // Services acks, reconnects, resends, the flush deadline and heartbeats; returns as soon as
  // something happened (an ack, a connection event) or after `timeout`.
  virtual Result<void> poll(std::chrono::milliseconds timeout) = 0;
  // Flushes, then waits until every queued event is acknowledged, or `timeout` passes.
  virtual Result<void> drain(std::chrono::milliseconds timeout) = 0;

  // For owners that wait on their own descriptors (poll(2)): also wait on these (readable when
  // the sender may have replies or connection events; edge-triggered, like ZMQ_FD), at most
  // until next_deadline(), then call poll(0). next_deadline() is now when input is pending.
  virtual std::vector<int> wait_fds() const = 0;
  virtual std::chrono::steady_clock::time_point next_deadline() = 0;

  // Input positions (the log sensor's checkpoint, socctl send's file offset): called when a
  // batch is closed, the text is kept with the batch (and in the spool).
  virtual void set_position_source(std::function<std::string()> source) = 0;
  // The newest position such that every batch up to it is acknowledged, or spooled (with a
  // spool): where a restarted sender resumes. epoch 0 when there is none yet.
  virtual SpoolPosition safe_position() const = 0;
  // What the spool held at start: the position after its newest batch.
  virtual std::optional<SpoolPosition> recovered_position() const = 0;

  virtual SenderStats stats() const = 0;
  // Adds sensor-specific counters to each heartbeat (e.g. packets dropped by the kernel).
  virtual void on_heartbeat(std::function<void(Event&)> fill) = 0;
  // The sender's epoch: its start time in microseconds (later than every epoch in its spool).
  virtual uint64_t epoch() const = 0;
};

}  // namespace soc::transport
