#include "core/z85.h"

#include <doctest/doctest.h>
#include <zmq.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>

namespace {

soc::CurveKey repeat8(const uint8_t (&bytes)[8]) {
  soc::CurveKey k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = bytes[i % 8];
  return k;
}

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("z85 encodes the RFC 32 test vector as HelloWorld") {
  const uint8_t vector[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
  const soc::CurveKey key = repeat8(vector);
  CHECK(soc::z85_encode_key(key) == repeat("HelloWorld", 4));
  const auto back = soc::z85_decode_key(repeat("HelloWorld", 4));
  REQUIRE(back);
  CHECK(*back == key);
}

TEST_CASE("z85 encodes all-zero and all-one keys") {
  CHECK(soc::z85_encode_key(soc::CurveKey{}) == std::string(40, '0'));
  soc::CurveKey ones;
  ones.fill(0xFF);
  CHECK(soc::z85_encode_key(ones) == repeat("%nSc0", 8));
  CHECK(soc::z85_decode_key(repeat("%nSc0", 8)) == ones);
}

TEST_CASE("z85 decodes and re-encodes the ZeroMQ CURVE test keys unchanged") {
  const char* keys[] = {
      "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID",  // client public
      "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs",  // client secret
      "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",  // server public
      "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6",  // server secret
  };
  for (const char* text : keys) {
    CAPTURE(text);
    const auto key = soc::z85_decode_key(text);
    REQUIRE(key);
    CHECK(soc::z85_encode_key(*key) == text);
    // The reference decoder of libzmq agrees on the bytes.
    uint8_t ref[32];
    REQUIRE(zmq_z85_decode(ref, text) != nullptr);
    CHECK(std::equal(key->begin(), key->end(), ref));
  }
}

TEST_CASE("z85 agrees with libzmq on random keys in both directions") {
  std::mt19937 rng(85);
  for (int i = 0; i < 2000; ++i) {
    soc::CurveKey key;
    for (auto& b : key) b = static_cast<uint8_t>(rng());
    const std::string text = soc::z85_encode_key(key);
    REQUIRE(text.size() == 40);
    char ref[41];
    REQUIRE(zmq_z85_encode(ref, key.data(), key.size()) != nullptr);
    CHECK(text == ref);
    const auto back = soc::z85_decode_key(text);
    REQUIRE(back);
    CHECK(*back == key);
  }
}

TEST_CASE("z85 decoding refuses text of the wrong length") {
  const std::string good = repeat("HelloWorld", 4);
  CHECK_FALSE(soc::z85_decode_key(""));
  CHECK_FALSE(soc::z85_decode_key(good.substr(0, 39)));
  CHECK_FALSE(soc::z85_decode_key(good + "0"));
  CHECK_FALSE(soc::z85_decode_key(good.substr(0, 35)));
  CHECK_FALSE(soc::z85_decode_key(good + good));
}

TEST_CASE("z85 decoding refuses characters outside the alphabet at any position") {
  const std::string good = repeat("HelloWorld", 4);
  const char bad_chars[] = {' ', '"', '\'', ',', ';', '\\', '_', '`', '|', '~', '\0', '\n', '\x7f', '\x80', '\xff'};
  for (const char c : bad_chars) {
    for (size_t pos : {size_t{0}, size_t{17}, size_t{39}}) {
      std::string text = good;
      text[pos] = c;
      CAPTURE(static_cast<int>(static_cast<unsigned char>(c)));
      CAPTURE(pos);
      CHECK_FALSE(soc::z85_decode_key(text));
    }
  }
}

TEST_CASE("z85 decoding refuses a group whose value exceeds 32 bits") {
  // "%nSc0" is 0xFFFFFFFF; "%nSc1" is one more, and "#####" is the largest group.
  CHECK(soc::z85_decode_key(repeat("%nSc0", 8)));
  CHECK_FALSE(soc::z85_decode_key(repeat("%nSc0", 7) + "%nSc1"));
  CHECK_FALSE(soc::z85_decode_key("#####" + repeat("00000", 7)));
}
