#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "daemon/compliance/build.h"
#include "daemon/inventory/loader.h"
#include "socctl/report/csv.h"
#include "socctl/report/html.h"
#include "socctl/report/labels.h"
#include "tests/unit/test_support.h"

namespace {

namespace cmp = soc::daemon::compliance;
namespace inv = soc::daemon::inventory;
namespace rep = soc::ctl::report;

soc::Timestamp at(const char* t) { return *soc::parse_rfc3339(t); }

// The sample province, evaluated with no evidence at an instant, in `lang`.
cmp::Report sample(inv::Language lang) {
  static soc::test::TempDir dir;
  const std::string root = SOC_SOURCE_ROOT;
  inv::Inventory inventory;
  inv::Baseline baseline;
  std::vector<soc::Diagnostic> diags;
  std::string source;
  std::string text;
  {
    std::ifstream in(root + "/examples/inventory.yaml");
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  REQUIRE(inv::load_inventory(dir.write("inventory.yaml", text), inventory, diags, source));
  REQUIRE(inv::load_baseline(root + "/examples/baseline.yaml", baseline, diags, source));
  inv::Evidence evidence;
  const auto now = at("2026-12-04T08:00:00Z");
  evidence.observing_since = now - std::chrono::hours(2);
  const auto findings = inv::evaluate(inventory, baseline, evidence, now);
  cmp::BuildInput b;
  b.inventory = &inventory;
  b.baseline = &baseline;
  b.findings = &findings;
  b.from = evidence.observing_since;
  b.to = now;
  b.lang = lang;
  b.generator = "socctl";
  b.version = "test";
  b.source = "events";
  b.inputs.events = cmp::EventsInput{};
  return cmp::build(b);
}

size_t count(const std::string& s, std::string_view what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("every label is set in both languages") {
  for (auto lang : {inv::Language::Vi, inv::Language::En}) {
    const rep::Labels& L = rep::labels(lang);
    static_assert(sizeof(rep::Labels) % sizeof(std::string_view) == 0);
    const auto* fields = reinterpret_cast<const std::string_view*>(&L);
    for (size_t i = 0; i < sizeof(rep::Labels) / sizeof(std::string_view); ++i) {
      CAPTURE(i);
      CHECK_FALSE(fields[i].empty());
    }
  }
}

TEST_CASE("the HTML is one self-contained document with the status table, in Vietnamese or English") {
  const std::string vi = rep::render_html(sample(inv::Language::Vi));
  CHECK(vi.rfind("<!DOCTYPE html>\n<html lang=\"vi\">", 0) == 0);
  CHECK(vi.find("<meta charset=\"utf-8\">") != std::string::npos);
  CHECK(vi.find("<table id=\"status-summary\" class=\"status-table\">") != std::string::npos);
  CHECK(vi.find("Cổng dịch vụ công tỉnh") != std::string::npos);
  CHECK(vi.find("<span class=\"st st-not_met\">Chưa đáp ứng</span>") != std::string::npos);
  CHECK(vi.find("<span class=\"st st-waived\">Được miễn trừ</span>") != std::string::npos);
  CHECK(vi.find("Báo cáo đánh giá tuân thủ") != std::string::npos);
  CHECK(vi.find("size: A4") != std::string::npos);
  // Nothing to fetch: no script, no external reference.
  CHECK(vi.find("<script") == std::string::npos);
  CHECK(vi.find("http://") == std::string::npos);
  CHECK(vi.find("https://") == std::string::npos);
  CHECK(vi.find("src=") == std::string::npos);
  CHECK(vi.find("<link") == std::string::npos);
  // One section per system, each with its requirements table.
  CHECK(count(vi, "<section class=\"system\" id=\"system-") == 3);
  CHECK(count(vi, "<table class=\"status-table requirements\">") == 3);
  const std::string en = rep::render_html(sample(inv::Language::En));
  CHECK(en.find("<html lang=\"en\">") != std::string::npos);
  CHECK(en.find("<span class=\"st st-not_met\">Not met</span>") != std::string::npos);
  CHECK(en.find("Chưa đáp ứng") == std::string::npos);
}

TEST_CASE("the HTML escapes what the inventory says") {
  auto r = sample(inv::Language::Vi);
  r.systems[0].name = "<b>Cổng</b> & \"co\"";
  r.systems[0].requirements[0].reason = "<img src=x onerror=alert(1)>";
  const std::string html = rep::render_html(r);
  CHECK(html.find("<b>Cổng") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("&lt;img src=x onerror=alert(1)&gt;") != std::string::npos);
  CHECK(html.find("&lt;b&gt;Cổng&lt;/b&gt; &amp; &quot;co&quot;") != std::string::npos);
  CHECK(rep::html_escape("<script>alert('x')</script> & \"q\"") ==
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
}

TEST_CASE("the CSV has one row per system and requirement, quoted as RFC 4180 wants, formulas disarmed") {
  const auto r = sample(inv::Language::Vi);
  const std::string csv = rep::render_csv(r);
  CHECK(csv.rfind("\xEF\xBB\xBFMã hệ thống,Tên hệ thống,Cấp độ,", 0) == 0);
  CHECK(count(csv, "\r\n") == 1 + r.systems.size() * r.systems[0].requirements.size());
  CHECK(csv.find("dvc-portal,Cổng dịch vụ công tỉnh,3,AST-02,") != std::string::npos);
  CHECK(rep::csv_field("a,b") == "\"a,b\"");
  CHECK(rep::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(rep::csv_field("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0");
  CHECK(rep::csv_field("-1") == "'-1");
  CHECK(rep::csv_field("plain") == "plain");
}
