// socctl demo's view: what the correlator's live feed says, per sensor, site and rule, drawn as
// a screen while the demo runs and printed once as the summary at its end.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/result.h"
#include "socctl/demo_feeds.h"

namespace soc::ctl::demo {

// Parses the text exposition: the sum of `name` over the series whose labels include every
// `want` pair.
double metric_value(const std::string& body, const std::string& name, const std::vector<std::string>& want);

// The first lines of every screen: where the correlator listens, what it does, where alerts go.
struct ViewHeader {
  std::string listen, metrics, publish;
  std::string mode;    // "with rules, inventory, ..."
  std::string absent;  // "; this correlator has no --rules yet"
  std::string alertmanager_url;   // empty: none
  std::string alertmanager_note;  // why there is none
  std::string api_token_file;     // the console's acknowledgements need its token; empty: none
  bool rules_on = false;
};

class LiveView {
 public:
  LiveView(std::vector<SampleSensor>& sensors, const daemon::inventory::Inventory& province, ViewHeader header,
           bool tty);

  // One message of the live feed (topic event, heartbeat or alert); `keep_latest` keeps the
  // event for the screen's "latest events".
  void on_message(const std::string& topic, const std::string& json, bool keep_latest);
  // The live screen (cleared first on a terminal).
  void draw();
  Clock::time_point last_draw() const { return last_draw_; }
  // Alerts per rule and site counted again from the correlator's alert log, which holds every
  // alert (the feed may have dropped some).
  void recount_alerts(const std::string& alert_log);
  // The summary of a run: per sensor what the sample holds and what the correlator counted
  // (`metrics`: its /metrics), the sites, alerts per rule. Returns false when, with `once`, a
  // sensor's count differs from its sample or the metrics could not be read.
  bool print_summary(const Result<std::string>& metrics, bool once) const;

 private:
  std::string site_lines(bool final) const;
  void on_alert();
  void on_event(const std::string& topic, bool keep_latest);

  std::vector<SampleSensor>& sensors_;
  const daemon::inventory::Inventory& province_;
  ViewHeader header_;
  bool tty_;
  Event e_;  // the message being read, reused
  uint64_t heartbeats_ = 0, alerts_total_ = 0;
  std::deque<std::string> alert_lines_;
  std::map<std::string, uint64_t> alerts_by_rule_, alerts_by_site_;
  std::map<std::string, Clock::time_point> last_heard_;  // by sensor id: events and heartbeats
  Clock::time_point last_draw_ = Clock::now() - std::chrono::seconds(10);
};

}  // namespace soc::ctl::demo
