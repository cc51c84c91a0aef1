// A finding's reason in words, in English or Vietnamese: the one place where the evaluation's
// reason codes (evaluate.h) become sentences. The English sentence is Finding::detail (alerts,
// logs); the report (socctl report, GET /api/v1/compliance) renders the language it is asked for.
// Also the vocabulary words (asset, sensor and license kinds), dates, instants and durations as
// the report writes them in each language. Pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/inventory/evaluate.h"

namespace soc::daemon::inventory {

enum class Language { Vi, En };
std::string_view to_string(Language l);                        // "vi", "en"
std::optional<Language> parse_language(std::string_view word);  // "vi", "en"

// One sentence without a final period. English: dates YYYY-MM-DD, instants RFC 3339 UTC,
// windows "5m" (as the alerts have always said). Vietnamese: dates DD/MM/YYYY, instants at
// `utc_offset` (the inventory's time zone) with the offset named, windows "5 phút". A waived
// finding ends with its waiver.
std::string describe(Reason reason, const ReasonValues& values, const std::optional<AppliedWaiver>& waiver,
                     Language lang, std::chrono::minutes utc_offset);
std::string describe(const Finding& f, Language lang, std::chrono::minutes utc_offset);

// An asset, sensor or license kind of the inventory's vocabulary as a word of `lang` (English:
// the vocabulary word itself, with '_' as a space). Unknown words are returned as they are.
std::string kind_word(std::string_view kind, Language lang);
// A status as the report labels it: "met" / "Đã đáp ứng", ... (the words of the security plan
// tables: Đã đáp ứng / Đáp ứng một phần / Chưa đáp ứng / Không áp dụng).
std::string_view status_label(Status s, Language lang);
std::string date_words(Date d, Language lang);
std::string instant_words(Timestamp t, Language lang, std::chrono::minutes utc_offset);
std::string duration_words(std::chrono::seconds s, Language lang);

}  // namespace soc::daemon::inventory
