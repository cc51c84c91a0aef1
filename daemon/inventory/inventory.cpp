#include "daemon/inventory/inventory.h"

#include <fmt/core.h>

#include "daemon/inventory/baseline.h"

namespace soc::daemon::inventory {

std::optional<Date> parse_date(std::string_view text) {
  const std::string_view s = text;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8}, lengths[3] = {4, 2, 2};
  for (int p = 0; p < 3; ++p) {
    for (size_t i = starts[p]; i < starts[p] + lengths[p]; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      parts[p] = parts[p] * 10 + (s[i] - '0');
    }
  }
  if (parts[0] < 1) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(parts[0]),
                                        std::chrono::month(static_cast<unsigned>(parts[1])),
                                        std::chrono::day(static_cast<unsigned>(parts[2]))};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd);
}

std::string format_date(Date d) {
  const std::chrono::year_month_day ymd(d);
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

Date local_day(Timestamp t, std::chrono::minutes utc_offset) {
  return std::chrono::floor<std::chrono::days>(t + utc_offset);
}

Timestamp end_of_day(Date d, std::chrono::minutes utc_offset) {
  return Timestamp(d + std::chrono::days(1)) - utc_offset;
}

std::optional<std::chrono::minutes> parse_utc_offset(std::string_view text) {
  const std::string_view s = text;
  if (s == "UTC" || s == "Z") return std::chrono::minutes(0);
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return std::nullopt;
  for (size_t i : {1, 2, 4, 5})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  const int h = (s[1] - '0') * 10 + (s[2] - '0'), m = (s[4] - '0') * 10 + (s[5] - '0');
  if (m > 59 || h * 60 + m > 14 * 60) return std::nullopt;
  return std::chrono::minutes((s[0] == '-' ? -1 : 1) * (h * 60 + m));
}

const Site* Inventory::find_site(std::string_view id) const {
  for (const auto& s : sites)
    if (s.id == id) return &s;
  return nullptr;
}

const System* Inventory::find_system(std::string_view id) const {
  for (const auto& s : systems)
    if (s.id == id) return &s;
  return nullptr;
}

std::string_view to_string(CheckKind k) { return kCheckKinds[static_cast<size_t>(k)]; }

const Requirement* Baseline::find(std::string_view id) const {
  for (const auto& r : requirements)
    if (r.id == id) return &r;
  return nullptr;
}

}  // namespace soc::daemon::inventory
