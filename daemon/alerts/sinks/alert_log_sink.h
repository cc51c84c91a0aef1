// The alert log as a sink (`soc-correlator --alert-log FILE`): every notice becomes one "notice"
// record of the hash-chained log (chain_log.h, docs/alert-log.md). `socctl replay --alert-log`
// writes the same records through notice_record().
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "daemon/alerts/sink.h"
#include "daemon/alerts/sinks/chain_log.h"

namespace soc::daemon::alerts::sinks {

// The record of one notice: `"notice":...,"alert":{...}` (notice_json.h). An alert too large for
// one record keeps its rule, severity, site and key fields, and says so ("soc.truncated": true).
ChainRecord notice_record(const Notice& notice, std::string_view external_url);

class AlertLogSink final : public Sink {
 public:
  // `external_url`: the correlator's URL for the alert links ("" for none).
  AlertLogSink(std::unique_ptr<ChainLog> log, std::string external_url);

  std::string_view name() const override { return "log"; }
  Result<void> deliver(std::span<const Notice> batch) override;
  size_t max_batch() const override { return 256; }
  void idle(Timestamp now) override;

  // From any thread (the correlator's SIGHUP): the worker calls ChainLog::reopen() before its next
  // batch or idle tick.
  void request_reopen() { reopen_ = true; }

 private:
  void reopen_if_asked();

  std::unique_ptr<ChainLog> log_;
  std::string external_url_;
  std::atomic<bool> reopen_{false};
  std::vector<ChainRecord> records_;
};

}  // namespace soc::daemon::alerts::sinks
