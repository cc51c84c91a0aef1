#include "socctl/report/csv.h"

#include "daemon/inventory/reason.h"
#include "socctl/report/labels.h"

namespace soc::ctl::report {

namespace inv = daemon::inventory;

std::string csv_field(std::string_view s) {
  std::string v(s);
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r'))
    v.insert(v.begin(), '\'');
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string render_csv(const daemon::compliance::Report& r) {
  const Labels& lab = labels(r.lang);
  std::string out = "\xEF\xBB\xBF";  // UTF-8 byte order mark
  auto line = [&](std::initializer_list<std::string> fields) {
    bool first = true;
    for (const auto& f : fields) {
      if (!first) out += ',';
      out += csv_field(f);
      first = false;
    }
    out += "\r\n";
  };
  std::string head;
  for (size_t i = 0; i < lab.csv_columns.size(); ++i) {
    if (i) head += ',';
    head += csv_field(lab.csv_columns[i]);
  }
  out += head + "\r\n";
  const std::string report_id = r.digest.substr(0, 16);
  for (const auto& s : r.systems) {
    for (const auto& q : s.requirements) {
      const std::string title = r.lang == inv::Language::En && !q.title_en.empty() ? q.title_en : q.title_vi;
      line({s.id, s.name, std::to_string(s.level), q.id, title, q.reference,
            std::string(inv::status_label(q.status, r.lang)), std::string(inv::to_string(q.status)), q.reason,
            std::to_string(q.coverage.met), std::to_string(q.coverage.total),
            std::string(lab.units[static_cast<size_t>(q.coverage.unit)]), std::to_string(q.evidence.size()),
            q.waiver ? inv::format_date(q.waiver->expires) : "", q.waiver ? q.waiver->approved_by : "", report_id});
    }
  }
  return out;
}

}  // namespace soc::ctl::report
