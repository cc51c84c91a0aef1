#include "core/fields.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

TEST_CASE("find_field_spec gives the documented type of a field") {
  const auto* ip = soc::find_field_spec("source.ip");
  REQUIRE(ip);
  CHECK(ip->name == "source.ip");
  CHECK(ip->type == soc::ValueType::Ip);
  CHECK_FALSE(ip->list);
  CHECK_FALSE(ip->required);

  const auto* port = soc::find_field_spec("destination.port");
  REQUIRE(port);
  CHECK(port->type == soc::ValueType::Int);

  const auto* ts = soc::find_field_spec("@timestamp");
  REQUIRE(ts);
  CHECK(ts->type == soc::ValueType::Timestamp);
  CHECK(ts->required);

  const auto* category = soc::find_field_spec("event.category");
  REQUIRE(category);
  CHECK(category->type == soc::ValueType::String);
  CHECK(category->list);

  const auto* host_ip = soc::find_field_spec("host.ip");
  REQUIRE(host_ip);
  CHECK(host_ip->type == soc::ValueType::Ip);
  CHECK(host_ip->list);
}

TEST_CASE("find_field_spec returns null for a field that is not documented") {
  CHECK(soc::find_field_spec("event.code") == nullptr);
  CHECK(soc::find_field_spec("") == nullptr);
  CHECK(soc::find_field_spec("source") == nullptr);
  CHECK(soc::find_field_spec("source.ip.") == nullptr);
  CHECK(soc::find_field_spec("Source.IP") == nullptr);
}

TEST_CASE("every documented field is found under its own name and listed once") {
  std::set<std::string_view> names;
  for (const auto& spec : soc::field_specs()) {
    CAPTURE(spec.name);
    CHECK(names.insert(spec.name).second);
    CHECK(soc::find_field_spec(spec.name) == &spec);
    CHECK_FALSE(spec.description.empty());
    CHECK(spec.type != soc::ValueType::List);  // lists are flagged with `list`, not typed List
  }
  CHECK(names.size() == soc::field_specs().size());
  CHECK(names.size() > 50);
}

TEST_CASE("the required fields are the timestamp, kind, dataset, category, observer and site") {
  std::set<std::string_view> required;
  for (const auto& spec : soc::field_specs()) {
    if (spec.required) required.insert(spec.name);
  }
  CHECK(required == std::set<std::string_view>{"@timestamp", "event.kind", "event.dataset", "event.category",
                                                        "observer.name", "site.id"});
}

TEST_CASE("field names are lower-case dotted paths") {
  for (const auto& spec : soc::field_specs()) {
    CAPTURE(spec.name);
    CHECK_FALSE(spec.name.empty());
    CHECK(spec.name.front() != '.');
    CHECK(spec.name.back() != '.');
    CHECK(spec.name.find("..") == std::string_view::npos);
    for (const char c : spec.name) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@';
      CHECK(ok);
    }
  }
}

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// A markdown table row with its cells trimmed and joined by " | ", e.g. "|a|  b |" -> "a | b".
std::string normalized_row(std::string_view row) {
  if (row.size() < 2 || row.front() != '|' || row.back() != '|') return "not a table row: " + std::string(row);
  row = row.substr(1, row.size() - 2);
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t bar = row.find('|', pos);
    if (pos) out += " | ";
    out += trim(row.substr(pos, bar == std::string_view::npos ? std::string_view::npos : bar - pos));
    if (bar == std::string_view::npos) break;
    pos = bar + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("the field table of docs/fields.md matches the field registry row for row") {
  std::ifstream in(std::string(SOC_SOURCE_ROOT) + "/docs/fields.md");
  REQUIRE_MESSAGE(in, "cannot read " << SOC_SOURCE_ROOT << "/docs/fields.md");
  std::vector<std::string> rows;
  bool inside = false;
  bool ended = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "<!-- fields:begin -->") {
      inside = true;
    } else if (line == "<!-- fields:end -->") {
      ended = inside;
      inside = false;
    } else if (inside && !line.empty()) {
      rows.push_back(normalized_row(line));
    }
  }
  REQUIRE(ended);
  REQUIRE(rows.size() >= 2);
  CHECK(rows[0] == "field | type | list | required | description");
  rows.erase(rows.begin(), rows.begin() + 2);  // header and separator

  const auto specs = soc::field_specs();
  CHECK(rows.size() == specs.size());
  for (size_t i = 0; i < std::min(rows.size(), specs.size()); ++i) {
    const auto& spec = specs[i];
    CAPTURE(i);
    CAPTURE(spec.name);
    const std::string expected = "`" + std::string(spec.name) + "` | " + std::string(soc::to_string(spec.type)) +
                                 " | " + (spec.list ? "yes" : "") + " | " + (spec.required ? "yes" : "") + " | " +
                                 std::string(spec.description);
    CHECK(rows[i] == expected);
  }
}
