// Deterministic fuzz-style loops over the JSON decoder: truncations, mutations and random bytes
// with fixed seeds, so that a failure reproduces exactly. The decoder must refuse with a reason
// or accept; what it accepts, the encoder must write back as JSON that decodes to the same event.
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_codec.h"
#include "tests/unit/printers.h"

namespace {

using soc::DecodeError;
using soc::DecodeLimits;
using soc::Event;

// Valid events (under kLimits) that together use every feature of the decoder; some sit at a
// limit so that a mutation can cross it.
const std::vector<std::string>& samples() {
  static const std::vector<std::string> s = {
      R"({"@timestamp":"2026-11-27T13:20:21.123456Z","event.kind":"event","event.dataset":"sshd",)"
      R"("source.ip":"203.0.113.7","source.port":52200,"user.name":"root","event.outcome":"failure",)"
      R"("message":"Failed password for root from 203.0.113.7 port 52200 ssh2"})",

      R"({"@timestamp":"2026-11-27T13:20:21Z","event":{"kind":"event","dataset":"flow","category":["network"]},)"
      R"("source":{"ip":"10.0.0.1","port":443,"bytes":9223372036854775807},"destination":{"ip":"2001:db8::1",)"
      R"("port":8443},"network":{"transport":"tcp","vlan":{"id":12}}})",

      R"({"@timestamp":"2026-11-27 13:20:21.5+07:00","event.kind":"alert","rule.id":"ssh-bruteforce",)"
      R"("threat.technique.id":["T1110","T1110.001"],"soc.count":12,"soc.evidence":["a","b","c"],"event.severity":4})",

      R"({"message":"quote \" backslash \\ tab \t nl \n \u00e9 \ud83d\ude00 é€😀","tags":["x","y",null],)"
      R"("x.a":1,"x.b":2,"x.c":-0.5e-3,"flag":true,"none":null})",

      R"({"host.ip":["10.0.0.1","::ffff:10.0.0.1"],"event.category":"authentication","event.type":["start","allowed"],)"
      R"("process.pid":4242,"process.name":"sudo","user.target.name":"root"})",

      R"({"a":{"b":{"c":{"d":1}}},"e":[1,2.5,"s",true,false,null],"k":"v"})",

      R"({"event.code":4625,"event.id":4625,"message":1.50,"event.action":true,"score":1e10,"ratio":0.25})",

      R"({"@timestamp":"2016-12-31T23:59:60Z","event.start":"2016-12-31T23:00:00.123456789-01:30",)"
      R"("event.end":"0001-01-01T00:00:00Z","tls.server.not_after":"9999-12-31T23:59:59Z"})",

      R"({"dns":{"question":{"name":"example.org","type":"AAAA"},"response_code":"NOERROR"},)"
      R"("url":{"original":"https://example.org/a?b=c&d=\u0026","path":"/a"},"http.response.status_code":200})",

      R"({"k1":"v1","k2":"v2","k3":"v3","k4":"v4","k5":"v5","k6":"v6","k7":"v7","k8":"v8","k9":"v9",)"
      R"("k10":"v10","k11":"v11","k12":"v12","k13":"v13","k14":"v14","k15":"v15","k16":"v16","k17":"v17",)"
      R"("k18":"v18","k19":"v19","k20":"v20","k21":"v21","k22":"v22","k23":"v23","k24":"v24"})",

      R"({"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":1,"b":[1,2,3,4,5,6,7,8],"c":-12})",
  };
  return s;
}

DecodeLimits fuzz_limits() {
  DecodeLimits l;
  l.max_bytes = 1024;
  l.max_depth = 4;
  l.max_fields = 24;
  l.max_key_bytes = 48;
  l.max_list_items = 8;
  return l;
}

// Re-decoding the encoder's output: flattening and escaping change the size and depth, not the
// keys, field count or list lengths.
DecodeLimits relaxed(DecodeLimits l) {
  l.max_bytes = 64 << 20;
  l.max_depth = 8;
  return l;
}

bool same_event(const Event& a, const Event& b) {
  if (a.size() != b.size()) return false;
  auto it = b.begin();
  for (const auto& f : a) {
    if (f.key != it->key || !(f.value == it->value)) return false;
    ++it;
  }
  return true;
}

// Checks what every decode must satisfy; returns the refusal reason, or "" when accepted.
// Counts with plain counters and reports only failures, so that 200k iterations stay fast.
struct Verdicts {
  std::map<std::string, size_t> reasons;
  size_t accepted = 0;
  size_t bad_refusals = 0;      // refused without a usable reason or with an offset past the end
  size_t not_total = 0;         // accepted, but the encoder's output did not decode to the same event
  std::string first_problem;    // the input of the first violation, for the report

  void run(std::string_view input, const DecodeLimits& limits) {
    Event e;
    if (auto f = soc::decode_event_into(input, e, limits)) {
      const std::string_view reason = soc::to_string(f->code);
      if (reason.empty() || reason == "unknown" || f->message().empty() ||
          (f->code != DecodeError::TooLarge && f->offset > input.size())) {
        if (bad_refusals++ == 0 && first_problem.empty()) first_problem = std::string(input);
      }
      ++reasons[std::string(reason)];
      return;
    }
    ++accepted;
    const std::string json = soc::encode_event(e);
    Event back;
    const auto f = soc::decode_event_into(json, back, relaxed(limits));
    if (f || !same_event(e, back) || soc::encode_event(back) != json) {
      if (not_total++ == 0 && first_problem.empty()) {
        first_problem = std::string(input) + "  ->  " + json + (f ? "  ->  " + f->message() : std::string());
      }
    }
  }
};

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Bytes that JSON gives meaning to, and fragments that cross the decoder's limits.
const std::vector<std::string>& dictionary() {
  static const std::vector<std::string> d = {
      "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "\\ud800", "\\ud83d\\ude00", "null", "true", "false", "1e999",
      "99999999999999999999", "{\"z\":", "{\"z\":{\"y\":1}}", ",\"k1\":1", ",\"n\":[1,2]", "[{}]", "[[]]", "\"\"",
      "\x80", "\xC0\xAF", "\xED\xA0\x80", "\xF0\x9F\x98\x80", "\xE2\x82", "\t", "\n", std::string(1, '\0'), "0", "-",
      ".", "e", "\"1.2.3.4\"", "\"nope\"", "\"2026-11-27T13:20:21Z\"", "12", "-0.5", std::string(40, 'x'), std::string(760, 'x'),
  };
  return d;
}

void mutate(std::string& s, std::mt19937& rng) {
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  const size_t pos = s.empty() ? 0 : pick(s.size() + 1);
  switch (pick(8)) {
    case 0:  // flip one bit
      if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1u << pick(8));
      break;
    case 1:  // replace a byte with a random one
      if (!s.empty()) s[pick(s.size())] = static_cast<char>(pick(256));
      break;
    case 2:  // insert a random byte
      s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<char>(pick(256)));
      break;
    case 3:  // delete a short run
      if (!s.empty() && pos < s.size()) s.erase(pos, 1 + pick(4));
      break;
    case 4:  // insert a dictionary token
    case 5:
      s.insert(pos, dictionary()[pick(dictionary().size())]);
      break;
    case 6:  // duplicate a slice (more fields, more bytes, deeper nesting)
      if (!s.empty() && pos < s.size()) {
        const std::string slice = s.substr(pos, 1 + pick(64));
        s.insert(pick(s.size() + 1), slice);
      }
      break;
    case 7:  // truncate
      s.resize(pick(s.size() + 1));
      break;
  }
}

}  // namespace

TEST_CASE("decoder refuses every sample event truncated at every byte, for the right reason") {
  const DecodeLimits limits = fuzz_limits();
  size_t cuts = 0;
  for (const auto& sample : samples()) {
    CAPTURE(sample);
    REQUIRE(soc::decode_event(sample, limits).ok());
    for (size_t k = 0; k < sample.size(); ++k) {
      const std::string_view prefix(sample.data(), k);
      Event e;
      const auto f = soc::decode_event_into(prefix, e, limits);
      ++cuts;
      if (!f) {
        FAIL_CHECK("accepted a truncated event: " << prefix);
        continue;
      }
      // Cut inside a multi-byte character, the decoder sees bytes that are not UTF-8.
      const DecodeError expected = k == 0                                         ? DecodeError::Empty
                                   : is_continuation(static_cast<unsigned char>(sample[k])) ? DecodeError::InvalidUtf8
                                                                                          : DecodeError::Truncated;
      if (f->code != expected || soc::to_string(f->code).empty() || f->offset > k) {
        CAPTURE(k);
        CAPTURE(prefix);
        CHECK(f->code == expected);
        CHECK(f->offset <= k);
      }
    }
  }
  CHECK(cuts > 1500);
}

TEST_CASE("decoder survives 200000 mutated events and the encoder writes back what it accepts") {
  const DecodeLimits limits = fuzz_limits();
  std::mt19937 rng(0x50C);
  Verdicts v;
  const auto& base = samples();
  for (int i = 0; i < 200000; ++i) {
    std::string s = base[static_cast<size_t>(i) % base.size()];
    const int n = 1 + static_cast<int>(rng() % 3);
    for (int m = 0; m < n; ++m) mutate(s, rng);
    v.run(s, limits);
  }
  std::string seen;
  for (const auto& [reason, count] : v.reasons) seen += reason + "=" + std::to_string(count) + " ";
  MESSAGE("mutations: accepted=" << v.accepted << " refused: " << seen);
  CAPTURE(v.first_problem);
  CHECK(v.bad_refusals == 0);
  CHECK(v.not_total == 0);
  CHECK(v.accepted > 1000);  // the loop also exercises the accepting paths
  // Every refusal reason that mutations can reach is reached.
  for (const std::string reason : {"empty", "too_large", "truncated", "syntax", "invalid_utf8", "too_deep", "not_object",
                             "nested_array", "bad_number", "bad_key", "duplicate_key", "too_many_fields", "wrong_type"}) {
    CAPTURE(reason);
    CHECK(v.reasons.count(reason) == 1);
  }
}

TEST_CASE("decoder survives random bytes") {
  const DecodeLimits limits = fuzz_limits();
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]\":,\\0123456789.-+eEtrufalsn abcu\x80\xC3\xA9\t\n";
  Verdicts v;
  for (int i = 0; i < 60000; ++i) {
    std::string s;
    const size_t len = rng() % 48;
    if (i % 2) s += '{';
    for (size_t j = 0; j < len; ++j) {
      s += i % 3 == 0 ? static_cast<char>(rng()) : alphabet[rng() % alphabet.size()];
    }
    v.run(s, limits);
  }
  CAPTURE(v.first_problem);
  CHECK(v.bad_refusals == 0);
  CHECK(v.not_total == 0);
  CHECK(v.reasons.size() >= 6);
  CHECK(v.reasons["syntax"] > 0);
  CHECK(v.reasons["not_object"] > 0);
  CHECK(v.reasons["truncated"] > 0);
  CHECK(v.reasons["invalid_utf8"] > 0);
}

TEST_CASE("decoder survives a million nested brackets") {
  const size_t n = 1'000'000;
  CHECK(soc::decode_event(std::string(n, '{')).error().code == DecodeError::Syntax);
  CHECK(soc::decode_event(std::string(n, '{')).error().offset == 1);
  CHECK(soc::decode_event(std::string(n, '[')).error().code == DecodeError::NotObject);
  CHECK(soc::decode_event("{\"a\":" + std::string(n, '[')).error().code == DecodeError::NestedArray);

  std::string deep;
  deep.reserve(5 * n);
  for (size_t i = 0; i < n; ++i) deep += R"({"a":)";
  CHECK(soc::decode_event(deep).error().code == DecodeError::TooLarge);  // 5 MB > 1 MiB
  DecodeLimits big;
  big.max_bytes = 8 << 20;
  const auto f = soc::decode_event(deep, big).error();
  CHECK(f.code == DecodeError::TooDeep);
  CHECK(f.offset == 5 * 8);  // the ninth '{'
}

TEST_CASE("decoder handles a 2 MiB string within the limit and refuses it beyond") {
  const size_t n = 2u << 20;
  const std::string plain = R"({"message":")" + std::string(n, 'x') + R"("})";
  CHECK(soc::decode_event(plain).error().code == DecodeError::TooLarge);

  DecodeLimits big;
  big.max_bytes = 8 << 20;
  {
    auto r = soc::decode_event(plain, big);
    REQUIRE(r.ok());
    CHECK(r->get_string("message").size() == n);
    CHECK((soc::encode_event(*r) == plain));
  }
  {
    std::string utf8 = R"({"message":")";
    for (size_t i = 0; i < n / 2; ++i) utf8 += "\xC3\xA9";
    utf8 += R"("})";
    auto r = soc::decode_event(utf8, big);
    REQUIRE(r.ok());
    CHECK(r->get_string("message").size() == n);
    CHECK((soc::encode_event(*r) == utf8));
  }
  {
    std::string escapes = R"({"message":")";
    for (size_t i = 0; i < n / 2; ++i) escapes += "\\n";
    escapes += R"("})";
    auto r = soc::decode_event(escapes, big);
    REQUIRE(r.ok());
    CHECK((r->get_string("message") == std::string(n / 2, '\n')));
    CHECK((soc::encode_event(*r) == escapes));
  }
  {
    const std::string open = R"({"message":")" + std::string(n, 'x');
    const auto f = soc::decode_event(open, big).error();
    CHECK(f.code == DecodeError::Truncated);
    CHECK(f.offset == open.size());
  }
}
