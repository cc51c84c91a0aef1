// socctl: the operator's tool. Keys, sending events, watching the live feed, the demo; later
// rules, replay, inventory and reports.
#include <signal.h>

#include "core/config/command_line.h"
#include "socctl/commands.h"

namespace {

// The body of main() (run_main reports what escapes it).
int main_body(int argc, char** argv) {
  using namespace soc;
  signal(SIGPIPE, SIG_IGN);
  config::CommandLine cli("socctl", "Operator tool of the SOC monitoring system.");
  cli.root().require_subcommand();
  ctl::KeygenOptions keygen;
  ctl::SendOptions send;
  ctl::TailOptions tail;
  ctl::DemoOptions demo;
  ctl::InventoryOptions inventory;
  ctl::RulesCheckOptions rules_check, rules_test;
  ctl::ReplayOptions replay;
  ctl::ReportOptions report;
  ctl::ReportVerifyOptions report_verify;
  ctl::AlertsListOptions alerts_list;
  ctl::AlertsAckOptions alerts_ack;
  config::Command *alerts_list_cmd, *alerts_ack_cmd;
  ctl::AuditOptions audit;
  config::Command *keygen_cmd, *send_cmd, *tail_cmd, *demo_cmd, *inventory_check_cmd, *rules_cmd, *rules_check_cmd,
      *rules_test_cmd, *replay_cmd, *report_cmd, *report_verify_cmd, *audit_verify_cmd;
  ctl::add_keygen(cli.root(), keygen, keygen_cmd);
  ctl::add_send(cli.root(), send, send_cmd);
  ctl::add_tail(cli.root(), tail, tail_cmd);
  ctl::add_demo(cli.root(), demo, demo_cmd);
  ctl::add_inventory(cli.root(), inventory, inventory_check_cmd);
  ctl::add_rules(cli.root(), rules_check, rules_test, rules_cmd, rules_check_cmd, rules_test_cmd);
  ctl::add_replay(cli.root(), replay, replay_cmd);
  ctl::add_report(cli.root(), report, report_verify, report_cmd, report_verify_cmd);
  ctl::add_alerts(cli.root(), alerts_list, alerts_ack, alerts_list_cmd, alerts_ack_cmd);
  ctl::add_audit(cli.root(), audit, audit_verify_cmd);
  if (auto code = cli.parse(argc, argv)) return *code;
  if (keygen_cmd->selected()) return ctl::run_keygen(keygen);
  if (send_cmd->selected()) return ctl::run_send(send);
  if (tail_cmd->selected()) return ctl::run_tail(tail);
  if (demo_cmd->selected()) return ctl::run_demo(demo, argv[0]);
  if (inventory_check_cmd->selected()) return ctl::run_inventory_check(inventory);
  if (rules_check_cmd->selected()) return ctl::run_rules_check(rules_check);
  if (rules_test_cmd->selected()) return ctl::run_rules_test(rules_test);
  if (replay_cmd->selected()) return ctl::run_replay(replay);
  if (report_verify_cmd->selected()) return ctl::run_report_verify(report_verify);
  if (report_cmd->selected()) return ctl::run_report(report);
  if (alerts_list_cmd->selected()) return ctl::run_alerts_list(alerts_list);
  if (alerts_ack_cmd->selected()) return ctl::run_alerts_ack(alerts_ack);
  if (audit_verify_cmd->selected()) return ctl::run_audit_verify(audit);
  return config::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) { return soc::config::run_main("socctl", main_body, argc, argv); }
