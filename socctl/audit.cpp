// socctl audit verify: checks the hash chain of alert log files (docs/alert-log.md).
#include <cstdio>

#include "daemon/alerts/sinks/chain_verify.h"
#include "socctl/commands.h"

namespace soc::ctl {

void add_audit(config::Command& root, AuditOptions& o, config::Command*& verify_cmd) {
  auto& audit = root.subcommand("audit", "Audit the correlator's records");
  audit.require_subcommand();
  verify_cmd = &audit.subcommand(
      "verify",
      "Check the hash chain of alert log files (--alert-log), oldest first: exit 0 when intact, 1 with the first bad "
      "line as FILE:LINE: reason (edited, deleted, inserted, reordered, truncated)");
  verify_cmd->positionals("files", o.files, "Alert log files in chain order (FILE.<time>... then FILE)", true);
}

int run_audit_verify(const AuditOptions& o) {
  const auto v = daemon::alerts::sinks::verify_chain(o.files);
  std::printf("%s\n", v.message().c_str());
  return v.intact ? 0 : 1;
}

}  // namespace soc::ctl
