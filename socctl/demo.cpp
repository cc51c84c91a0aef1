#include <cstdio>

#include "socctl/commands.h"

namespace soc::ctl {
void add_demo(config::Command& root, DemoOptions& o, config::Command*& cmd) {
  cmd = &root.subcommand("demo", "Run the whole system on the project's sample data, with a live view");
  cmd->flag("once", o.once, "Replay the samples once, print a summary and exit")
      .option("examples", o.examples, "Folder of the sample data (default: examples/ of the source tree)")
      .option("metrics", o.metrics, "ADDR:PORT where the correlator serves /metrics")
      .option("rate", o.rate, "Events per second per sensor in the live view (0: as fast as possible)");
}
int run_demo(const DemoOptions&, const char*) { return 1; }
}  // namespace soc::ctl
