// The Alertmanager sink (`--alertmanager URL`, API v2 `POST /api/v2/alerts`): what pages the
// on-call responders (docs/adr/0022-alert-sinks.md).
//
// Alertmanager identifies an alert by its label set, so the labels hold only bounded values:
//   alertname (rule.name), severity (the word), site (site.id), rule_id (rule.id), and those of
//   the rule's group-by fields that are in kLabelFields (dots become underscores);
// addresses, users, URLs and host names go to the annotations (summary, description, evidence,
// alert_url, alerts, alert_ids, count, last_seen, state). Store alerts with the same label set
// (two attackers of one rule and site) are one Alertmanager alert: it fires while any of them is
// open and resolves when the last one resolves; `alerts` lists each one's key fields, the other
// annotations describe the latest.
//
// Timing: firing alerts are posted with endsAt = now + `ends_after`, and every active alert is
// posted again every `resend` (from idle()), so Alertmanager keeps them while the correlator does
// and resolves them by itself `ends_after` after the correlator stopped saying so. A Resolved
// notice posts endsAt = its resolution time (at most now), once delivered the alert is forgotten.
// Without an alert store (notices of id 0, which never resolve) an alert is posted once per
// notice and not re-sent: Alertmanager resolves it `ends_after` later.
//
// One instance per URL, each behind its own queue: one Alertmanager of an HA pair being down
// changes nothing for the other. Runs on its worker thread only (Sink contract).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/http/client.h"
#include "daemon/alerts/sink.h"

namespace soc::daemon::alerts::sinks {

// Group-by fields bounded by configuration or by protocol, and so safe as Alertmanager labels.
inline constexpr std::string_view kLabelFields[] = {
    "observer.name",      "asset.id",       "asset.kind",     "site.level",    "soc.system.id", "soc.requirement.id",
    "event.dataset",      "event.module",   "event.action",   "event.outcome", "network.transport",
    "network.protocol",   "ndpi.protocol",  "ndpi.category",  "destination.port"};

struct AlertmanagerOptions {
  std::string url;           // the Alertmanager's base URL (http://host:9093), or the full /api/v2/alerts URL
  std::string external_url;  // the correlator's, for the links to the alerts; may be empty
  std::chrono::seconds resend{60};
  std::chrono::seconds ends_after{240};
  std::chrono::milliseconds timeout{5'000};
  size_t max_active = 10'000;            // label sets kept for re-sending; the oldest heard of goes first
  std::chrono::hours forget_after{24};   // an alert not heard of for this long is no longer re-sent
};

// The Alertmanager labels of an alert, sorted by name.
std::vector<std::pair<std::string, std::string>> alertmanager_labels(const Event& alert);

class AlertmanagerSink final : public Sink {
 public:
  explicit AlertmanagerSink(AlertmanagerOptions options);

  std::string_view name() const override { return name_; }
  Result<void> deliver(std::span<const Notice> batch) override;
  void abandon() override { abandoned_ = true; }
  size_t max_batch() const override { return 256; }
  void idle(Timestamp now) override;

  size_t active() const { return active_.size(); }

 private:
  struct Member {
    Timestamp first_seen{}, last_seen{};
    uint64_t count = 0;
    bool acknowledged = false;
    std::string headline;  // its key fields, for the "alerts" annotation
  };
  struct Entry {
    std::vector<std::pair<std::string, std::string>> labels;
    std::map<int64_t, Member> members;  // open store alerts with these labels
    Notice latest;                      // of the latest notice: the annotations
    std::optional<Timestamp> ended;     // all resolved: post endsAt, then forget
    std::chrono::steady_clock::time_point heard{};
  };

  std::string key_of(const std::vector<std::pair<std::string, std::string>>& labels) const;
  std::string apply(const Notice& n);  // updates the state; the key of the entry touched
  void render(std::string& out, const Entry& e, Timestamp now) const;
  Result<void> post(const std::vector<std::string>& keys, Timestamp now);
  void evict();
  static bool only_unstored(const Entry& e);  // an alert of a correlator without a store (id 0)

  AlertmanagerOptions options_;
  std::string name_;
  std::atomic<bool> abandoned_{false};
  http::Session session_;  // keeps the connection between requests
  std::string endpoint_;  // .../api/v2/alerts
  std::map<std::string, Entry> active_;
  std::map<int64_t, std::string> key_by_id_;
  std::chrono::steady_clock::time_point next_resend_{};
  bool resend_failing_ = false;
  uint64_t evicted_ = 0;
};

}  // namespace soc::daemon::alerts::sinks
