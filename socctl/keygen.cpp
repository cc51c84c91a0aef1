#include <cstdio>

#include "core/transport/keys.h"
#include "socctl/commands.h"

namespace soc::ctl {

void add_keygen(config::Command& root, KeygenOptions& o, config::Command*& cmd) {
  cmd = &root.subcommand("keygen", "Write a CURVE key pair: PREFIX.key (secret, mode 0600) and PREFIX.pub, Z85 text; never writes through a symbolic link");
  cmd->option("out", o.out, "Path prefix of the two files (required)").flag("force", o.force, "Replace existing files (a path that is a symbolic link is still refused)");
}

int run_keygen(const KeygenOptions& o) {
  if (o.out.empty()) {
    std::fputs("socctl keygen: --out PREFIX is required\n", stderr);
    return config::kExitUsage;
  }
  auto keys = transport::generate_key_pair();
  if (!keys) {
    std::fprintf(stderr, "socctl keygen: %s\n", keys.error().message.c_str());
    return 1;
  }
  if (auto r = transport::write_key_files(o.out, *keys, o.force); !r) {
    std::fprintf(stderr, "socctl keygen: %s\n", r.error().message.c_str());
    return 1;
  }
  std::printf("wrote %s.key (secret) and %s.pub\npublic key: %s\n", o.out.c_str(), o.out.c_str(),
              z85_encode_key(keys->public_key).c_str());
  return 0;
}

}  // namespace soc::ctl
