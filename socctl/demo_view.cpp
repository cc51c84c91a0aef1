// socctl demo's view (socctl/demo_view.h).
#include "socctl/demo_view.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "core/json_codec.h"

namespace soc::ctl::demo {

namespace {

// One line for the live view: what the event says, in a few words.
std::string summarize(const Event& e) {
  auto s = [&](std::string_view k) { return std::string(e.get_string(k)); };
  auto text = [&](std::string_view k) {
    const Value* v = e.find(k);
    return v ? v->to_text() : std::string();
  };
  const std::string ds = s("event.dataset");
  if (ds == "flow" || ds == "ndpi.risk") {
    std::string out =
        fmt::format("{}:{} -> {}:{} {} {}", text("source.ip"), text("source.port"), text("destination.ip"),
                    text("destination.port"), s("network.transport"), s("ndpi.protocol"));
    if (auto* sni = e.find("tls.client.server_name"))
      out += " " + sni->to_text();
    else if (auto* q = e.find("dns.question.name"))
      out += " " + q->to_text();
    else if (auto* d = e.find("url.domain"))
      out += " " + d->to_text();
    const std::string risks = text("ndpi.risk");
    if (!risks.empty()) out += " [" + risks + "]";
    return out;
  }
  std::string out = s("event.action");
  if (!s("event.outcome").empty()) out += " " + s("event.outcome");
  if (e.contains("user.name")) out += " user=" + text("user.name");
  if (e.contains("source.ip")) out += " from " + text("source.ip");
  if (e.contains("url.original"))
    out += " " + text("url.original");
  else if (e.contains("destination.port"))
    out += " to port " + text("destination.port");
  if (out.find_first_not_of(' ') == std::string::npos) out = s("message");
  return out;
}

std::string fit(std::string s, size_t width) {
  if (s.size() > width) s = s.substr(0, width - 1) + "~";
  return s;
}

}  // namespace

// Parses the text exposition: value of `name` for the series whose labels include every
// `want` pair.
double metric_value(const std::string& body, const std::string& name, const std::vector<std::string>& want) {
  double total = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find('\n', pos);
    if (eol == std::string::npos) eol = body.size();
    std::string_view line(body.data() + pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line[0] == '#' || line.substr(0, name.size()) != name) continue;
    if (line.size() <= name.size() || (line[name.size()] != '{' && line[name.size()] != ' ')) continue;
    bool ok = true;
    for (const auto& w : want) ok = ok && line.find(w) != std::string_view::npos;
    if (!ok) continue;
    const auto sp = line.rfind(' ');
    total += std::atof(std::string(line.substr(sp + 1)).c_str());
  }
  return total;
}

LiveView::LiveView(std::vector<SampleSensor>& sensors, const daemon::inventory::Inventory& province,
                   ViewHeader header, bool tty)
    : sensors_(sensors), province_(province), header_(std::move(header)), tty_(tty) {}

std::string LiveView::site_lines(bool final) const {
  std::string out;
  std::vector<std::string> site_ids;
  for (const auto& site : province_.sites) site_ids.push_back(site.id);
  for (const auto& s : sensors_) {
    if (std::find(site_ids.begin(), site_ids.end(), s.site) == site_ids.end()) site_ids.push_back(s.site);
  }
  const auto now = Clock::now();
  for (const auto& site : site_ids) {
    std::vector<std::string> ids;
    for (const auto& known : province_.sensors) {
      if (known.site == site) ids.push_back(known.id);
    }
    for (const auto& s : sensors_) {
      if (s.site == site && std::find(ids.begin(), ids.end(), s.id) == ids.end()) ids.push_back(s.id);
    }
    uint64_t events = 0;
    for (const auto& s : sensors_) {
      if (s.site == site) events += s.seen;
    }
    std::vector<std::string> silent;
    size_t reporting = 0;
    for (const auto& id : ids) {
      auto it = last_heard_.find(id);
      const bool fresh = it != last_heard_.end() && (final || now - it->second < std::chrono::seconds(30));
      if (fresh)
        ++reporting;
      else
        silent.push_back(id);
    }
    std::string status;
    if (ids.empty())
      status = "NO SENSOR";
    else if (!silent.empty())
      status = "SILENT: " + join(silent, ", ");
    else
      status = "ok";
    const auto alerts = alerts_by_site_.count(site) ? alerts_by_site_.at(site) : 0;
    out += fmt::format("  {:<14} sensors {}/{} reporting  events {:>7}  alerts {:>4}  {}\n", site, reporting,
                       ids.size(), events, alerts, status);
  }
  return out;
}

void LiveView::draw() {
  const auto now = Clock::now();
  const double secs = std::chrono::duration<double>(now - last_draw_).count();
  std::string out;
  if (tty_) out += "\x1b[H\x1b[2J";
  out += fmt::format("SOC demo: correlator {} ({}{})  console http://{}/  metrics http://{}/metrics  live feed {}\n",
                     header_.listen, header_.mode, header_.absent, header_.metrics, header_.metrics, header_.publish);
  if (!header_.api_token_file.empty())
    out += fmt::format("To acknowledge alerts in the console, give it the token in {}\n", header_.api_token_file);
  out += !header_.alertmanager_url.empty()
             ? fmt::format("Alerts are delivered to Alertmanager at {} (where on-call is paged from)\n",
                           header_.alertmanager_url)
             : fmt::format("Alerts go to no Alertmanager ({})\n", header_.alertmanager_note);
  out += fmt::format("{:<18} {:<13} {:>8} {:>7}  {:<14} {}\n", "sensor", "site", "events", "per s", "last dataset",
                     "fed by");
  for (auto& s : sensors_) {
    out += fmt::format("{:<18} {:<13} {:>8} {:>7.0f}  {:<14} {}\n", s.id, s.site, s.seen,
                       secs > 0 ? static_cast<double>(s.seen - s.seen_last) / secs : 0.0, s.last_dataset,
                       fit(s.how, 60));
    s.seen_last = s.seen;
  }
  out += "Sites:\n" + site_lines(false);
  out += fmt::format("Alerts: {}   heartbeats: {}\n", alerts_total_, heartbeats_);
  if (alert_lines_.empty()) {
    out += header_.rules_on ? "  (none yet)\n" : "  (none: this correlator does not evaluate rules yet)\n";
  }
  for (const auto& a : alert_lines_) out += "  " + a + "\n";
  out += "Latest events:\n";
  for (const auto& s : sensors_) {
    for (const auto& l : s.latest) out += "  " + l + "\n";
  }
  if (tty_) out += "Ctrl-C stops the demo.\n";
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  last_draw_ = now;
}

void LiveView::on_message(const std::string& topic, const std::string& json, bool keep_latest) {
  if (decode_event_into(json, e_)) {
    if (topic == "alert") ++alerts_total_;  // counted even when it cannot be shown
    return;
  }
  if (topic == "alert")
    on_alert();
  else
    on_event(topic, keep_latest);
}

void LiveView::on_alert() {
  ++alerts_total_;
  const std::string rule = std::string(e_.get_string("rule.name"));
  ++alerts_by_rule_[rule.empty() ? std::string(e_.get_string("rule.id")) : rule];
  const std::string site = std::string(e_.get_string("site.id"));
  ++alerts_by_site_[site];
  const Value* ts = e_.find("@timestamp");
  const Value* src = e_.find("source.ip");
  alert_lines_.push_back(fit(fmt::format("{} {:<8} {:<13} {:<40} {:<15} {}", ts ? ts->to_text().substr(11, 8) : "",
                                         e_.contains("event.severity") ? e_.find("event.severity")->to_text() : "",
                                         site, fit(rule, 40), src ? src->to_text() : "", e_.get_string("message")),
                             150));
  if (alert_lines_.size() > 8) alert_lines_.pop_front();
}

void LiveView::on_event(const std::string& topic, bool keep_latest) {
  const std::string who(e_.get_string("observer.name"));
  if (!who.empty()) last_heard_[who] = Clock::now();
  if (topic == "heartbeat") {
    ++heartbeats_;
    return;
  }
  for (auto& s : sensors_) {
    if (s.id != who) continue;
    ++s.seen;
    if (!keep_latest) break;
    s.last_dataset = std::string(e_.get_string("event.dataset"));
    const Value* ts = e_.find("@timestamp");
    s.latest.push_back(fit(fmt::format("{} {:<16} {:<13} {}", ts ? ts->to_text().substr(11, 8) : "", who,
                                       e_.get_string("event.dataset"), summarize(e_)),
                           150));
    if (s.latest.size() > 3) s.latest.pop_front();
  }
}

void LiveView::recount_alerts(const std::string& alert_log) {
  alerts_by_rule_.clear();
  alerts_by_site_.clear();
  alerts_total_ = 0;
  for_each_line(alert_log, [&](std::string_view line) {
    ++alerts_total_;
    if (auto a = decode_event(line)) {
      std::string rule(a->get_string("rule.name"));
      ++alerts_by_rule_[rule.empty() ? std::string(a->get_string("rule.id")) : rule];
      ++alerts_by_site_[std::string(a->get_string("site.id"))];
    }
  });
}

bool LiveView::print_summary(const Result<std::string>& metrics, bool once) const {
  std::printf("\nSummary (events from the correlator's /metrics; correlator %s%s):\n", header_.mode.c_str(),
              header_.absent.c_str());
  std::printf("%-18s %-13s %9s %9s %6s %6s  %s\n", "sensor", "site", "in sample", "received", "lost", "dupl.",
              "fed by");
  bool complete = metrics.ok();
  for (const auto& s : sensors_) {
    double got = 0, lost = 0, dup = 0;
    if (metrics) {
      const std::string sensor = fmt::format("sensor=\"{}\"", s.id);
      got = metric_value(*metrics, "soc_events_received_total", {sensor});
      lost = metric_value(*metrics, "soc_events_lost_total", {sensor});
      dup = metric_value(*metrics, "soc_events_duplicate_total", {sensor});
    }
    std::printf("%-18s %-13s %9llu %9.0f %6.0f %6.0f  %s\n", s.id.c_str(), s.site.c_str(),
                static_cast<unsigned long long>(s.expected), got, lost, dup, s.how.c_str());
    if (once && got != static_cast<double>(s.expected)) complete = false;
  }
  std::printf("Sites:\n%s", site_lines(true).c_str());
  std::printf("Alerts per rule: %llu in all\n", static_cast<unsigned long long>(alerts_total_));
  if (alerts_by_rule_.empty()) {
    std::printf("  (none%s)\n", header_.rules_on ? "" : ": this correlator does not evaluate rules yet");
  }
  std::vector<std::pair<std::string, uint64_t>> by_rule(alerts_by_rule_.begin(), alerts_by_rule_.end());
  std::stable_sort(by_rule.begin(), by_rule.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [rule, n] : by_rule) std::printf("  %6llu  %s\n", static_cast<unsigned long long>(n), rule.c_str());
  if (!metrics) std::fprintf(stderr, "socctl demo: cannot read metrics: %s\n", metrics.error().message.c_str());
  return complete;
}

}  // namespace soc::ctl::demo
