#include "daemon/inventory/reason.h"

#include <fmt/core.h>

#include <array>
#include <utility>

namespace soc::daemon::inventory {

namespace {

struct KindWord {
  std::string_view kind, vi;
};
// The inventory's vocabularies (inventory.h) in Vietnamese, as the province's staff write them.
constexpr std::array<KindWord, 26> kKindWords = {{
    {"firewall", "tường lửa"},
    {"ips", "thiết bị IPS"},
    {"waf", "tường lửa ứng dụng web (WAF)"},
    {"anti_ddos", "thiết bị chống DDoS"},
    {"db_firewall", "tường lửa cơ sở dữ liệu"},
    {"nac", "thiết bị kiểm soát truy cập mạng (NAC)"},
    {"vpn_gateway", "cổng VPN"},
    {"router", "bộ định tuyến"},
    {"switch", "thiết bị chuyển mạch"},
    {"wireless_ap", "điểm truy cập không dây"},
    {"server", "máy chủ"},
    {"workstation", "máy trạm"},
    {"storage", "thiết bị lưu trữ"},
    {"log_store", "máy chủ lưu trữ nhật ký"},
    {"portal", "cổng thông tin"},
    {"video_conference", "thiết bị hội nghị truyền hình"},
    {"ups", "bộ lưu điện (UPS)"},
    {"other", "thiết bị khác"},
    {"packet", "cảm biến giám sát lưu lượng"},
    {"log", "cảm biến thu thập nhật ký"},
    {"collector", "bộ thu thập trạng thái"},
    {"support", "hỗ trợ kỹ thuật"},
    {"subscription", "thuê bao dịch vụ"},
    {"software", "phần mềm"},
    {"signatures", "cập nhật mẫu nhận diện"},
    {"warranty", "bảo hành"},
}};

std::string en_duration(std::chrono::seconds s) {
  const auto n = s.count();
  if (n % 86400 == 0) return fmt::format("{}d", n / 86400);
  if (n % 3600 == 0) return fmt::format("{}h", n / 3600);
  if (n % 60 == 0) return fmt::format("{}m", n / 60);
  return fmt::format("{}s", n);
}

std::string en(Reason r, const ReasonValues& v) {
  const std::string date = v.date ? format_date(*v.date) : "";
  const std::string window = v.window ? en_duration(*v.window) : "";
  const std::string instant = v.instant ? format_rfc3339(*v.instant) : "";
  switch (r) {
    case Reason::NotApplicable:
      return fmt::format("applies at levels {}; the system is level {}", v.text, v.level);
    case Reason::Manual:
      return v.text.empty() ? "manual requirement" : "manual: " + v.text;
    case Reason::AssetCount:
      if (v.count >= v.required) return fmt::format("{} {} at the site", v.count, v.kind);
      return fmt::format("{} {} at the site, {} required", v.count, v.kind, v.required);
    case Reason::LicenseExpired:
      return fmt::format("{} license expired on {}", v.kind, date);
    case Reason::LicenseExpiring:
      return fmt::format("{} license expires on {} ({} days left)", v.kind, date, v.days);
    case Reason::LicenseTemporary:
      return fmt::format("{} license is temporary, until {}", v.kind, date);
    case Reason::LicenseValid:
      return fmt::format("{} license valid until {}", v.kind, date);
    case Reason::NoLicense:
      return v.kind.empty() ? "no license recorded" : fmt::format("no {} license recorded", v.kind);
    case Reason::NoAssetToCheck:
      return fmt::format("no {} at the system's sites to check", v.kind);
    case Reason::NoSensor:
      return fmt::format("no {} sensor at the site", v.kind);
    case Reason::SensorHeard:
      return fmt::format("{} heard within {}", v.name, window);
    case Reason::SensorNotHeardYet:
      return fmt::format("observing for less than {}", window);
    case Reason::SensorNeverHeard:
      return fmt::format("no {} sensor of the site heard since {}", v.kind, instant);
    case Reason::SensorSilent:
      return fmt::format("no {} sensor of the site heard within {}", v.kind, window);
    case Reason::LogSourceSeen:
      return fmt::format("{} seen within {}", v.name, window);
    case Reason::LogSourceSilent:
      return fmt::format("no {} event from the site within {}", v.name, window);
    case Reason::LogSourceUnjudged:
      return fmt::format("no sensor of the site heard within {}", window);
    case Reason::Assessed:
      return fmt::format("assessed on {}, {} days ago", date, v.days);
    case Reason::AssessmentOverdue:
      return fmt::format("assessed on {}, {} days ago, more than {}", date, v.days, v.required);
    case Reason::NeverAssessed:
      return "no assessment recorded";
    case Reason::CertificateValid:
      return fmt::format("certificate valid until {}", instant);
    case Reason::CertificateExpiring:
      return fmt::format("certificate {} {}, less than {} days from now", v.days < 0 ? "expired" : "expires", instant,
                         v.required);
    case Reason::NoCertificate:
      return "no certificate seen";
  }
  return "";
}

std::string vi(Reason r, const ReasonValues& v, std::chrono::minutes offset) {
  const Language lang = Language::Vi;
  const std::string date = v.date ? date_words(*v.date, lang) : "";
  const std::string window = v.window ? duration_words(*v.window, lang) : "";
  const std::string instant = v.instant ? instant_words(*v.instant, lang, offset) : "";
  const std::string kind = kind_word(v.kind, lang);
  switch (r) {
    case Reason::NotApplicable:
      return fmt::format("áp dụng cho cấp độ {}; hệ thống được phê duyệt cấp độ {}", v.text, v.level);
    case Reason::Manual:
      return v.text.empty() ? "yêu cầu kiểm tra thủ công" : "kiểm tra thủ công: " + v.text;
    case Reason::AssetCount:
      if (v.count >= v.required) return fmt::format("có {} {} tại điểm", v.count, kind);
      return fmt::format("có {} {} tại điểm, yêu cầu tối thiểu {}", v.count, kind, v.required);
    case Reason::LicenseExpired:
      return fmt::format("giấy phép {} đã hết hạn ngày {}", kind, date);
    case Reason::LicenseExpiring:
      return fmt::format("giấy phép {} hết hạn ngày {} (còn {} ngày)", kind, date, v.days);
    case Reason::LicenseTemporary:
      return fmt::format("giấy phép {} là tạm thời, đến ngày {}", kind, date);
    case Reason::LicenseValid:
      return fmt::format("giấy phép {} còn hiệu lực đến ngày {}", kind, date);
    case Reason::NoLicense:
      return v.kind.empty() ? "chưa ghi nhận giấy phép nào" : fmt::format("chưa ghi nhận giấy phép {}", kind);
    case Reason::NoAssetToCheck:
      return fmt::format("không có {} tại các điểm của hệ thống để kiểm tra", kind);
    case Reason::NoSensor:
      return fmt::format("không có {} tại điểm", kind);
    case Reason::SensorHeard:
      return fmt::format("nhận được tín hiệu của {} trong vòng {}", v.name, window);
    case Reason::SensorNotHeardYet:
      return fmt::format("thời gian theo dõi chưa đủ {}", window);
    case Reason::SensorNeverHeard:
      return fmt::format("không nhận được tín hiệu của {} nào tại điểm kể từ {}", kind, instant);
    case Reason::SensorSilent:
      return fmt::format("không nhận được tín hiệu của {} nào tại điểm trong vòng {}", kind, window);
    case Reason::LogSourceSeen:
      return fmt::format("nhận được nhật ký {} trong vòng {}", v.name, window);
    case Reason::LogSourceSilent:
      return fmt::format("không nhận được nhật ký {} từ điểm trong vòng {}", v.name, window);
    case Reason::LogSourceUnjudged:
      return fmt::format("không nhận được tín hiệu của cảm biến nào tại điểm trong vòng {}", window);
    case Reason::Assessed:
      return fmt::format("đánh giá ngày {}, cách đây {} ngày", date, v.days);
    case Reason::AssessmentOverdue:
      return fmt::format("đánh giá ngày {}, cách đây {} ngày, quá thời hạn {} ngày", date, v.days, v.required);
    case Reason::NeverAssessed:
      return "chưa có kết quả kiểm tra, đánh giá";
    case Reason::CertificateValid:
      return fmt::format("chứng thư số còn hiệu lực đến {}", instant);
    case Reason::CertificateExpiring:
      return fmt::format("chứng thư số {} {}, còn ít hơn {} ngày", v.days < 0 ? "đã hết hạn lúc" : "hết hạn lúc", instant,
                         v.required);
    case Reason::NoCertificate:
      return "chưa đọc được chứng thư số";
  }
  return "";
}

}  // namespace

std::string_view to_string(Language l) { return l == Language::Vi ? "vi" : "en"; }

std::optional<Language> parse_language(std::string_view word) {
  if (word == "vi") return Language::Vi;
  if (word == "en") return Language::En;
  return std::nullopt;
}

std::string_view status_label(Status s, Language lang) {
  static constexpr std::array<std::string_view, 6> kEn = {"Met",           "Partially met", "Not met",
                                                          "Not applicable", "Not assessable", "Waived"};
  static constexpr std::array<std::string_view, 6> kVi = {"Đã đáp ứng",    "Đáp ứng một phần",    "Chưa đáp ứng",
                                                          "Không áp dụng", "Không đánh giá được", "Được miễn trừ"};
  return (lang == Language::En ? kEn : kVi)[static_cast<size_t>(s)];
}

std::string kind_word(std::string_view kind, Language lang) {
  if (lang == Language::Vi) {
    for (const auto& k : kKindWords)
      if (k.kind == kind) return std::string(k.vi);
    return std::string(kind);
  }
  std::string out(kind);
  for (auto& c : out)
    if (c == '_') c = ' ';
  return out;
}

std::string date_words(Date d, Language lang) {
  if (lang == Language::En) return format_date(d);
  const std::chrono::year_month_day ymd(d);
  return fmt::format("{:02}/{:02}/{:04}", static_cast<unsigned>(ymd.day()), static_cast<unsigned>(ymd.month()),
                     static_cast<int>(ymd.year()));
}

std::string instant_words(Timestamp t, Language lang, std::chrono::minutes offset) {
  if (lang == Language::En) return format_rfc3339(t);
  const auto local = t + offset;
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::hh_mm_ss hms(std::chrono::floor<std::chrono::seconds>(local - day));
  const auto m = offset.count();
  return fmt::format("{:02}:{:02}:{:02} ngày {} (UTC{}{:02}:{:02})", hms.hours().count(), hms.minutes().count(),
                     hms.seconds().count(), date_words(day, lang), m < 0 ? '-' : '+', std::abs(m) / 60,
                     std::abs(m) % 60);
}

std::string duration_words(std::chrono::seconds s, Language lang) {
  if (lang == Language::En) return en_duration(s);
  const auto n = s.count();
  if (n % 86400 == 0) return fmt::format("{} ngày", n / 86400);
  if (n % 3600 == 0) return fmt::format("{} giờ", n / 3600);
  if (n % 60 == 0) return fmt::format("{} phút", n / 60);
  return fmt::format("{} giây", n);
}

std::string describe(Reason reason, const ReasonValues& values, const std::optional<AppliedWaiver>& waiver,
                     Language lang, std::chrono::minutes utc_offset) {
  std::string out = lang == Language::En ? en(reason, values) : vi(reason, values, utc_offset);
  if (waiver) {
    if (lang == Language::En)
      out += fmt::format(" (waived until {} by {})", format_date(waiver->expires), waiver->approved_by);
    else
      out += fmt::format(" (được miễn trừ đến hết ngày {}, người phê duyệt: {})", date_words(waiver->expires, lang),
                         waiver->approved_by);
  }
  return out;
}

std::string describe(const Finding& f, Language lang, std::chrono::minutes utc_offset) {
  return describe(f.reason, f.values, f.waiver, lang, utc_offset);
}

}  // namespace soc::daemon::inventory
