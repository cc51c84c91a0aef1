#include "core/severity.h"

#include <algorithm>
#include <cctype>

namespace soc {

namespace {
constexpr std::string_view kWords[] = {"informational", "low", "medium", "high", "critical"};
}

std::string_view severity_word(int64_t number) {
  if (number < 1 || number > 5) return "unknown";
  return kWords[number - 1];
}

std::optional<int> parse_severity(std::string_view text) {
  if (text.size() == 1 && text[0] >= '1' && text[0] <= '5') return text[0] - '0';
  for (int i = 0; i < 5; ++i) {
    const auto w = kWords[i];
    if (w.size() == text.size() && std::equal(w.begin(), w.end(), text.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        }))
      return i + 1;
  }
  return std::nullopt;
}

}  // namespace soc
