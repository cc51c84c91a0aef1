#include "daemon/compliance/digest.h"

#include <fmt/core.h>

#include "core/crypto/digest.h"
#include "core/json_codec.h"
#include "daemon/compliance/json.h"

namespace soc::daemon::compliance {

namespace {

void str(std::string& out, std::string_view s) {
  out += ',';
  append_json_string(out, s);
}

void opt_time(std::string& out, const std::optional<Timestamp>& t) {
  out += ',';
  if (t)
    append_json_string(out, format_rfc3339(*t));
  else
    out += "null";
}

}  // namespace

std::string canonical_text(const Report& r) {
  std::string out = "[\"soc-compliance-digest\",1]\n[\"period\"";
  str(out, format_rfc3339(r.from));
  str(out, format_rfc3339(r.to));
  out += "]\n[\"baseline\"";
  str(out, r.baseline_id);
  str(out, r.baseline_version);
  str(out, r.inputs.baseline_sha256);
  out += "]\n[\"inventory\"";
  str(out, r.inputs.inventory_sha256);
  out += "]\n[\"events\"";
  if (r.inputs.events) {
    out += fmt::format(",{}", r.inputs.events->used);
    str(out, r.inputs.events->sha256);
  } else {
    out += ",null";
  }
  out += "]\n";
  for (const auto& s : r.systems) {
    out += "[\"system\"";
    str(out, s.id);
    out += fmt::format(",{}]\n", s.level);
    for (const auto& q : s.requirements) {
      out += "[\"requirement\"";
      str(out, q.id);
      str(out, inventory::to_string(q.status));
      out += "]\n";
      for (const auto& e : q.evidence) {
        out += "[\"evidence\"";
        str(out, e.site);
        str(out, e.subject);
        str(out, inventory::to_string(e.status));
        str(out, e.rule);
        str(out, inventory::to_string(e.source));
        str(out, inventory::to_string(e.reason));
        out += ',';
        out += values_json(e.values);
        opt_time(out, e.observed_at);
        opt_time(out, e.valid_until);
        if (e.waiver) {
          out += ",[";
          append_json_string(out, inventory::format_date(e.waiver->expires));
          str(out, e.waiver->approved_by);
          out += ']';
        } else {
          out += ",null";
        }
        out += "]\n";
      }
    }
  }
  return out;
}

std::string compute_digest(const Report& r) { return crypto::sha256_hex(canonical_text(r)); }

}  // namespace soc::daemon::compliance
