#include "daemon/console/files.h"

#include <doctest/doctest.h>

#include <regex>
#include <string>

namespace soc::daemon::console {
namespace {

const File* find(std::string_view name) {
  for (const auto& f : files())
    if (f.name == name) return &f;
  return nullptr;
}

TEST_CASE("the console's page and every file it links are compiled in, with their types") {
  const File* index = find("index.html");
  REQUIRE(index != nullptr);
  CHECK(index->content_type == "text/html; charset=utf-8");
  const std::string page(index->content);
  const std::regex link(R"re((?:src|href)="/console/([^"]+)")re");
  int linked = 0;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), link); it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1];
    const File* f = find(name);
    CHECK_MESSAGE(f != nullptr, name);
    if (f) CHECK_FALSE(f->content.empty());
    ++linked;
  }
  CHECK(linked == static_cast<int>(files().size()) - 1);  // every other file is used by the page
  const File* js = find("console.js");
  REQUIRE(js != nullptr);
  CHECK(js->content_type == "text/javascript; charset=utf-8");
}

TEST_CASE("the page loads nothing from another origin") {
  for (const auto& f : files()) {
    const std::string text(f.content);
    CHECK_MESSAGE(text.find("http://") == std::string::npos, f.name);
    CHECK_MESSAGE(text.find("https://") == std::string::npos, f.name);
    CHECK_MESSAGE(text.find("//cdn") == std::string::npos, f.name);
  }
}

}  // namespace
}  // namespace soc::daemon::console
