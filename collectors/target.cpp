#include "collectors/target.h"

#include <fmt/core.h>

#include <charconv>
#include <optional>

#include "core/config/yaml_util.h"

namespace soc::collectors {

Result<Target> parse_endpoint(TargetKind kind, std::string_view spec) {
  Target t;
  t.kind = kind;
  t.spec = std::string(spec);
  std::string_view rest = spec;
  if (kind == TargetKind::Tls) {
    // The SNI follows the last '/' (host names and addresses hold none).
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
      t.sni = std::string(rest.substr(slash + 1));
      rest = rest.substr(0, slash);
      if (t.sni.empty()) return fail("target", fmt::format("'{}': empty server name after '/'", spec));
    }
  }
  std::string_view host, port;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return fail("target", fmt::format("'{}': expected [ADDRESS]:PORT", spec));
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return fail("target", fmt::format("'{}': expected HOST:PORT", spec));
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return fail("target", fmt::format("'{}': write an IPv6 address in brackets: [ADDRESS]:PORT", spec));
  }
  if (host.empty()) return fail("target", fmt::format("'{}': empty host", spec));
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
    return fail("target", fmt::format("'{}': the port must be 1..65535", spec));
  t.host = std::string(host);
  t.port = static_cast<uint16_t>(value);
  return t;
}

namespace {

bool scalar(const YAML::Node& n) { return n && n.IsScalar(); }

// One key of a target map into `t`; `kinds` counts the keys that name the target's kind.
// False (with a diagnostic) when its value is wrong or the key unknown.
bool read_target_key(const std::string& path, const YAML::Node& key_node, const YAML::Node& v, Target& t, int& kinds,
                     std::vector<Diagnostic>& diags) {
  const std::string key = key_node.IsScalar() ? key_node.Scalar() : "";
  auto bad = [&](std::string_view what) {
    diags.push_back(config::diag_at(path, v, "targets.bad_value", fmt::format("'{}' expects {}", key, what)));
    return false;
  };
  if (key == "tls" || key == "tcp") {
    ++kinds;
    if (!scalar(v)) return bad("HOST:PORT");
    auto r = parse_endpoint(key == "tls" ? TargetKind::Tls : TargetKind::Tcp, v.Scalar());
    if (!r) {
      diags.push_back(config::diag_at(path, v, "targets.bad_endpoint", r.error().message));
      return false;
    }
    const auto keep = t;
    t = *r;
    t.asset_id = keep.asset_id;
    t.interval = keep.interval;
    t.token_file = keep.token_file;
    t.insecure = keep.insecure;
  } else if (key == "fortios") {
    ++kinds;
    if (!scalar(v) || v.Scalar().empty()) return bad("the device's URL");
    t.kind = TargetKind::License;
    t.vendor = "fortios";
    t.url = t.spec = v.Scalar();
  } else if (key == "asset") {
    if (!scalar(v) || v.Scalar().empty()) return bad("an inventory asset id");
    t.asset_id = v.Scalar();
  } else if (key == "interval") {
    int64_t s = 0;
    try {
      s = scalar(v) ? v.as<int64_t>() : 0;
    } catch (const YAML::Exception&) {
      s = 0;
    }
    if (s < 1 || s > 7 * 86400) return bad("seconds, 1 to 604800");
    t.interval = std::chrono::seconds(s);
  } else if (key == "token_file") {
    if (!scalar(v) || v.Scalar().empty()) return bad("a file name");
    t.token_file = v.Scalar();
  } else if (key == "insecure") {
    try {
      if (!scalar(v)) throw YAML::Exception(YAML::Mark(), "");
      t.insecure = v.as<bool>();
    } catch (const YAML::Exception&) {
      return bad("true or false");
    }
  } else {
    diags.push_back(config::diag_at(path, key_node, "targets.unknown_key",
                                    fmt::format("unknown key '{}' (known keys: tls, tcp, fortios, asset, "
                                                "interval, token_file, insecure)",
                                                key)));
    return false;
  }
  return true;
}

// One entry of `targets`; nothing (with diagnostics) when it is wrong.
std::optional<Target> read_target(const std::string& path, const YAML::Node& item, std::vector<Diagnostic>& diags) {
  if (!item.IsMap()) {
    diags.push_back(config::diag_at(path, item, "targets.not_a_map",
                                    "a target is a map: {tls: HOST:PORT[/SNI]} or {tcp: HOST:PORT} or {fortios: URL}"));
    return std::nullopt;
  }
  Target t;
  int kinds = 0;
  bool ok = true;
  for (auto it = item.begin(); it != item.end(); ++it)
    ok = read_target_key(path, it->first, it->second, t, kinds, diags) && ok;
  if (kinds != 1) {
    diags.push_back(config::diag_at(path, item, "targets.kind", "a target names exactly one of tls, tcp, fortios"));
    return std::nullopt;
  }
  if ((!t.token_file.empty() || t.insecure) && t.kind != TargetKind::License) {
    diags.push_back(config::diag_at(path, item, "targets.kind", "token_file and insecure apply to fortios targets only"));
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return t;
}

}  // namespace

bool load_targets(const std::string& path, std::vector<Target>& out, std::vector<Diagnostic>& diags,
                  std::string& source) {
  const size_t before = diags.size();
  if (auto d = config::read_file_bounded(path, source, config::kMaxConfigFileBytes, "config.unreadable")) {
    diags.push_back(std::move(*d));
    return false;
  }
  YAML::Node root;
  if (!config::load_yaml(path, source, root, diags)) return false;
  if (!root.IsMap()) return true;  // the command line adapter reports a config that is no map
  const YAML::Node list = root["targets"];
  if (!list) return true;
  if (!list.IsSequence()) {
    diags.push_back(config::diag_at(path, list, "targets.not_a_list", "'targets' must be a list of maps"));
    return false;
  }
  for (const auto& item : list)
    if (auto t = read_target(path, item, diags)) out.push_back(std::move(*t));
  return diags.size() == before;
}

}  // namespace soc::collectors
