#include "daemon/alerts/sinks/alert_log_sink.h"

#include "core/log.h"
#include "daemon/alerts/sinks/notice_json.h"

namespace soc::daemon::alerts::sinks {

namespace {
// Room left in a record for seq, prev, record and time.
constexpr size_t kMembersLimit = kMaxRecordBytes - 4096;
}  // namespace

ChainRecord notice_record(const Notice& n, std::string_view external_url) {
  ChainRecord r{"notice", {}};
  const std::string url = alert_url(external_url, n.id);
  append_notice_members(r.members, n, url);
  if (r.members.size() <= kMembersLimit) return r;
  Notice small = n;
  small.alert = Event{};
  for (std::string_view k : {"@timestamp", "event.kind", "event.severity", "rule.id", "rule.name", "site.id", "site.name"}) {
    if (const Value* v = n.alert.find(k)) small.alert.set(k, *v);
  }
  for (std::string_view k : kKeyFields) {
    const Value* v = n.alert.find(k);
    if (v && v->to_text().size() < 4096) small.alert.set(k, *v);
  }
  small.alert.set("soc.truncated", true);
  r.members.clear();
  append_notice_members(r.members, small, url);
  return r;
}

AlertLogSink::AlertLogSink(std::unique_ptr<ChainLog> log, std::string external_url)
    : log_(std::move(log)), external_url_(std::move(external_url)) {}

void AlertLogSink::reopen_if_asked() {
  if (!reopen_.exchange(false)) return;
  if (auto r = log_->reopen(); !r) log::error("alert-log", "{}", r.error().message);
}

Result<void> AlertLogSink::deliver(std::span<const Notice> batch) {
  reopen_if_asked();
  records_.clear();
  for (const auto& n : batch) {
    if (!n.restated) records_.push_back(notice_record(n, external_url_));  // nothing new happened
  }
  return log_->append(records_);
}

void AlertLogSink::idle(Timestamp) {
  reopen_if_asked();
  log_->tick();
}

}  // namespace soc::daemon::alerts::sinks
