#include "sensors/log/literal_set.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

using soc::sensors::log::LiteralSet;

namespace {

// What the decoder did before: one string search per literal.
std::vector<bool> by_find(const std::vector<std::string>& literals, std::string_view text) {
  std::vector<bool> out;
  for (const auto& l : literals) out.push_back(text.find(l) != std::string_view::npos);
  return out;
}

std::vector<bool> by_set(const LiteralSet& set, const std::vector<int>& ids, std::string_view text) {
  LiteralSet::Found found;
  set.scan(text, found);
  std::vector<bool> out;
  for (int id : ids) out.push_back(LiteralSet::has(found, id));
  return out;
}

}  // namespace

TEST_CASE("literal set finds the prefilters a line holds, overlapping and nested ones included") {
  const std::vector<std::string> literals = {"Failed ", "Failed publickey for ", "invalid user", "nvalid user",
                                             "Ban ", "Unban ", "logid=", "res=failed", "res=success", "rip="};
  LiteralSet set;
  std::vector<int> ids;
  for (const auto& l : literals) ids.push_back(set.add(l));
  CHECK(set.add("Ban ") == ids[4]);  // the same literal twice: one id
  set.build();
  for (std::string_view line :
       {"Failed publickey for invalid user bob from 192.0.2.1", "2024-01-01 fail2ban.actions: [sshd] Unban 192.0.2.1",
        "type=USER_AUTH msg=audit(1.1:1): res=failed", "nothing here", "", "Faile", "Failed", "Failed  ",
        "zzz res=success rip=1 logid=3", "UnBan Ban"})
    CHECK(by_set(set, ids, line) == by_find(literals, line));
}

TEST_CASE("literal set agrees with a string search on random text over a small alphabet") {
  // A small alphabet makes partial matches, restarts and overlaps frequent.
  std::mt19937 rng(7);
  auto word = [&](size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back("abc \xC3"[rng() % 5]);
    return s;
  };
  std::vector<std::string> literals;
  LiteralSet set;
  std::vector<int> ids;
  for (int i = 0; i < 90; ++i) {  // more than 64 literals: two words of bits
    literals.push_back(word(1 + rng() % 6));
    ids.push_back(set.add(literals.back()));
  }
  set.build();
  for (int i = 0; i < 2000; ++i) {
    const std::string text = word(rng() % 40);
    CHECK(by_set(set, ids, text) == by_find(literals, text));
  }
}

TEST_CASE("an empty literal set finds nothing") {
  LiteralSet set;
  set.build();
  LiteralSet::Found found;
  set.scan("anything", found);
  CHECK(found.empty());
}
