// socctl subcommands. Each registers its options on the command line, then runs if selected;
// run functions return the process exit code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/command_line.h"
#include "core/transport/connect_options.h"

namespace soc::ctl {

struct KeygenOptions {
  std::string out;
  bool force = false;
};
void add_keygen(config::Command& root, KeygenOptions& o, config::Command*& cmd);
int run_keygen(const KeygenOptions& o);

struct SendOptions {
  transport::ConnectOptions conn = [] {
    transport::ConnectOptions c;
    c.connect = "tcp://127.0.0.1:7700";
    return c;
  }();
  int64_t timeout_s = 30;
  int64_t batch = 512;
  int64_t heartbeat_s = 10;
  bool quiet = false;
  double rate = 0;    // events per second (0: as fast as the correlator takes them)
  bool loop = false;  // start the files over at their end, until interrupted
  bool stamp_now = false;  // @timestamp set to the time each event is sent
  std::vector<std::string> files;
};
void add_send(config::Command& root, SendOptions& o, config::Command*& cmd);
int run_send(const SendOptions& o);

struct TailOptions {
  std::string connect = "tcp://127.0.0.1:7701";
  std::string api = "http://127.0.0.1:9750";  // --alerts: the open alerts come from here first
  bool json = false;
  std::string color = "auto";
  bool alerts = false;
  bool heartbeats = false;
  bool all = false;
  int64_t count = 0;
  double timeout_s = 0;
};
void add_tail(config::Command& root, TailOptions& o, config::Command*& cmd);
int run_tail(const TailOptions& o);

// socctl alerts list / socctl alerts ack (socctl/alerts.cpp)
struct AlertsListOptions {
  std::string api = "http://127.0.0.1:9750";
  std::string state, site, severity, rule;
  int64_t limit = 100;
  std::string color = "auto";
  bool json = false;
};
struct AlertsAckOptions {
  std::string api = "http://127.0.0.1:9750";
  std::string token_file, by, comment;
  bool json = false;
  std::vector<std::string> ids;
};
void add_alerts(config::Command& root, AlertsListOptions& list, AlertsAckOptions& ack, config::Command*& list_cmd,
                config::Command*& ack_cmd);
int run_alerts_list(const AlertsListOptions& o);
int run_alerts_ack(const AlertsAckOptions& o);

struct DemoOptions {
  bool once = false;
  std::string examples;  // folder with events/*.jsonl; found next to the binary when empty
  std::string metrics = "127.0.0.1:9750";
  int64_t port = 0;      // first of the ports used (0: pick free ones)
  double rate = 200;     // events per second per sensor in the live view (0: as fast as possible)
  std::string report_dir;  // where the compliance report of the run goes (socctl/demo_report.h)
};
void add_demo(config::Command& root, DemoOptions& o, config::Command*& cmd);
int run_demo(const DemoOptions& o, const char* argv0);

// socctl inventory check FILE [--baseline FILE]
struct InventoryOptions {
  std::string baseline;
  std::vector<std::string> files;
};
void add_inventory(config::Command& root, InventoryOptions& o, config::Command*& check_cmd);
int run_inventory_check(const InventoryOptions& o);

// socctl rules check DIR... / socctl replay --rules DIR... FILE.jsonl... (socctl/rules.cpp)
struct RulesCheckOptions {
  std::vector<std::string> mappings;  // field mapping files (default: rules/mappings/*.yaml)
  std::vector<std::string> paths;
};
// `rules test` takes the same options as `rules check`.
void add_rules(config::Command& root, RulesCheckOptions& check, RulesCheckOptions& test, config::Command*& rules_cmd,
               config::Command*& check_cmd, config::Command*& test_cmd);
int run_rules_check(const RulesCheckOptions& o);
int run_rules_test(const RulesCheckOptions& o);

struct ReplayOptions {
  std::vector<std::string> rules;
  std::vector<std::string> mappings;
  double lateness_s = 60;
  int64_t max_groups = 100000;
  std::vector<std::string> files;
  std::string inventory;  // enrich events from this inventory before the rules (as the correlator does)
  bool keep_evidence = false;  // keep the events alerts cite, as the correlator does (bench/rules_bench.sh)
  std::string alert_log;  // also append the alerts to this hash-chained log (as the correlator's --alert-log)
};
void add_replay(config::Command& root, ReplayOptions& o, config::Command*& cmd);
int run_replay(const ReplayOptions& o);

// socctl audit verify FILE... (socctl/audit.cpp)
struct AuditOptions {
  std::vector<std::string> files;
};
void add_audit(config::Command& root, AuditOptions& o, config::Command*& verify_cmd);
int run_audit_verify(const AuditOptions& o);

// socctl report --inventory FILE --baseline FILE [--events FILE.jsonl...] [--at T] [--from T]
//   --format json|html|csv|pdf [--lang vi|en] --out FILE;  socctl report --api URL ...
// (socctl/report.cpp, docs/report.md)
struct ReportOptions {
  std::string inventory, baseline;
  std::vector<std::string> events;
  std::vector<std::string> more_events;  // positionals after --events FILE (--events a.jsonl b.jsonl)
  std::string api;                       // http://HOST:PORT of a running correlator
  std::string at, from;
  std::string format;
  std::string lang = "vi";
  std::string out;
  std::string chromium;  // for --format pdf (default: chromium on PATH)
  double timeout_s = 180;
};
// socctl report verify FILE.json [--events FILE.jsonl...] [--inventory FILE --baseline FILE]
struct ReportVerifyOptions {
  std::vector<std::string> files;  // the report, then more events files after --events
  std::vector<std::string> events;
  std::string inventory, baseline;
};
void add_report(config::Command& root, ReportOptions& o, ReportVerifyOptions& v, config::Command*& report_cmd,
                config::Command*& verify_cmd);
int run_report(const ReportOptions& o);
int run_report_verify(const ReportVerifyOptions& o);

}  // namespace soc::ctl
