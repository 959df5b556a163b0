#include "chat/business_hours.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <system_error>
#include <vector>

#include "util/quote.hpp"
#include "util/time.hpp"

// Time zones are evaluated here rather than with Boost.DateTime's posix_time_zone: that class reads
// the offset with the opposite sign to POSIX ("KST-9" would be 9 hours west), and refuses much of
// what the zone database's files end with: quoted names ("<+04>-4"), change times below 0 or from
// 24 hours on ("M3.5.0/-1", "M3.4.4/26").

namespace aicc::chat {
namespace {

namespace chrono = std::chrono;

constexpr Millis kMinute = 60'000;
constexpr Millis kHour = 60 * kMinute;
constexpr Millis kDay = 24 * kHour;
constexpr Millis kNever = std::numeric_limits<Millis>::max();
// The instants the calendar arithmetic is meant for: years 1 to 9999, UTC.
constexpr Millis kFirstSupported = -62'135'596'800'000;  // 0001-01-01T00:00Z
constexpr Millis kEndSupported = 253'402'300'800'000;    // 10000-01-01T00:00Z
// A zone file is a few kilobytes; anything much larger is not one and is not read.
constexpr std::uintmax_t kMaxZoneFileBytes = 256 * 1024;
// Values quoted back in messages are cut to this many bytes.
constexpr std::size_t kMaxQuoted = 40;

constexpr std::array<std::string_view, 7> kDayNames = {"mon", "tue", "wed", "thu",
                                                       "fri", "sat", "sun"};

// What is wrong, without saying where; nullopt when nothing is.
using Problem = std::optional<std::string>;

// Division rounding towards minus infinity (b > 0), so that instants before 1970 fall on the
// right day.
using util::floor_div;

bool in_supported_range(Millis utc) { return utc >= kFirstSupported && utc < kEndSupported; }

// Days are counted from 1970-01-01, as std::chrono::sys_days does.
std::int64_t day_number(chrono::sys_days day) { return day.time_since_epoch().count(); }
chrono::sys_days day_at(std::int64_t number) { return chrono::sys_days{chrono::days{number}}; }
chrono::year_month_day date_of(std::int64_t day) { return chrono::year_month_day{day_at(day)}; }
// 0 for Monday to 6 for Sunday, the order of kDayNames.
int weekday_of(std::int64_t day) {
  return static_cast<int>(chrono::weekday{day_at(day)}.iso_encoding()) - 1;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

// `text` in double quotes, shortened and with control and non-ASCII bytes escaped, safe for a log
// line whatever was configured.
std::string quote(std::string_view text) { return util::quoted(text, kMaxQuoted, true); }

// The items of a list separated by ',' or ';', each trimmed (empty ones included, so that they
// can be refused).
std::vector<std::string_view> split_items(std::string_view text) {
  std::vector<std::string_view> items;
  while (true) {
    const std::size_t separator = text.find_first_of(",;");
    items.push_back(trim(text.substr(0, separator)));
    if (separator == std::string_view::npos) return items;
    text.remove_prefix(separator + 1);
  }
}

// A number of exactly `digits` decimal digits; nullopt for anything else.
std::optional<int> fixed_number(std::string_view text, std::size_t digits) {
  if (text.size() != digits) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// ---- The weekly schedule ----------------------------------------------------------------------

// Part of a local day: from `start` up to, not including, `end` (ms after midnight).
struct Window {
  Millis start = 0;
  Millis end = 0;  // after start; kDay at most
  bool operator==(const Window&) const = default;
};

using WeekWindows = std::array<std::vector<Window>, 7>;  // Monday first

// "HH:MM" or "H:MM", 00:00 to 24:00, as ms after midnight.
std::optional<Millis> parse_clock(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2) return std::nullopt;
  const auto hours = fixed_number(text.substr(0, colon), colon);
  const auto minutes = fixed_number(text.substr(colon + 1), 2);
  if (!hours || !minutes) return std::nullopt;
  if (*minutes > 59 || *hours > 24 || (*hours == 24 && *minutes != 0)) return std::nullopt;
  return *hours * kHour + *minutes * kMinute;
}

std::string clock_text(Millis time) {
  const auto hours = static_cast<int>(time / kHour);
  const auto minutes = static_cast<int>(time % kHour / kMinute);
  return std::string{char('0' + hours / 10), char('0' + hours % 10), ':', char('0' + minutes / 10),
                     char('0' + minutes % 10)};
}

std::optional<int> parse_day(std::string_view text) {
  if (text.size() != kDayNames[0].size()) return std::nullopt;
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  for (std::size_t day = 0; day < kDayNames.size(); ++day) {
    if (lower == kDayNames[day]) return static_cast<int>(day);
  }
  return std::nullopt;
}

Problem not_a_day(std::string_view text) {
  return quote(text) + " is not a day (mon, tue, wed, thu, fri, sat or sun)";
}

// "mon" or "mon-fri" (which may wrap: "fri-mon") as its days.
Problem parse_days(std::string_view text, std::vector<int>& days) {
  const std::size_t dash = text.find('-');
  const auto first = parse_day(text.substr(0, dash));
  if (!first) return not_a_day(text.substr(0, dash));
  if (dash == std::string_view::npos) {
    days.push_back(*first);
    return std::nullopt;
  }
  const auto last = parse_day(text.substr(dash + 1));
  if (!last) return not_a_day(text.substr(dash + 1));
  if (*last == *first) return "a range from a day to itself; write the day alone";
  for (int day = *first;; day = (day + 1) % 7) {
    days.push_back(day);
    if (day == *last) return std::nullopt;
  }
}

Problem parse_window(std::string_view text, Window& window) {
  const std::size_t dash = text.find('-');
  if (dash == std::string_view::npos) return "expected a window HH:MM-HH:MM after the days";
  const std::string_view start_text = text.substr(0, dash);
  const std::string_view end_text = text.substr(dash + 1);
  const auto start = parse_clock(start_text);
  if (!start) return quote(start_text) + " is not a time of day (HH:MM, 00:00 to 24:00)";
  const auto end = parse_clock(end_text);
  if (!end) return quote(end_text) + " is not a time of day (HH:MM, 00:00 to 24:00)";
  if (*start == kDay) return "24:00 can only end a window";
  if (*end == *start) return "the window is empty";
  if (*end < *start) {
    return "the window ends before it starts (one over midnight is written as two: "
           "\"fri 22:00-24:00, sat 00:00-02:00\")";
  }
  window = Window{*start, *end};
  return std::nullopt;
}

// One "DAYS HH:MM-HH:MM" item, added to the days it names.
Problem add_weekly_item(std::string_view item, WeekWindows& week) {
  if (item.empty()) return "an empty item (two separators in a row, or one at an end)";
  const auto blank = std::find_if(item.begin(), item.end(), is_blank);
  const std::string_view window_text = trim(item.substr(std::distance(item.begin(), blank)));
  if (window_text.empty() ||
      std::find_if(window_text.begin(), window_text.end(), is_blank) != window_text.end()) {
    return "expected DAYS HH:MM-HH:MM, such as \"mon-fri 09:00-18:00\" or \"sat 10:00-13:00\"";
  }
  std::vector<int> days;
  if (Problem p = parse_days(item.substr(0, std::distance(item.begin(), blank)), days)) return p;
  Window window;
  if (Problem p = parse_window(window_text, window)) return p;
  for (int day : days) week[day].push_back(window);
  return std::nullopt;
}

// Sorts each day's windows and joins those that overlap or touch, so that a day's windows are
// disjoint, in order, and a window's end is never another one's start.
void merge_windows(WeekWindows& week) {
  for (auto& windows : week) {
    std::sort(windows.begin(), windows.end(),
              [](const Window& a, const Window& b) { return a.start < b.start; });
    std::vector<Window> merged;
    for (const Window& window : windows) {
      if (!merged.empty() && window.start <= merged.back().end) {
        merged.back().end = std::max(merged.back().end, window.end);
      } else {
        merged.push_back(window);
      }
    }
    windows = std::move(merged);
  }
}

// Runs of neighbouring days with the same windows, Monday to Sunday, one item per window.
std::string describe_week(const WeekWindows& week) {
  std::string out;
  for (int first = 0; first < 7;) {
    int last = first;
    while (last + 1 < 7 && week[last + 1] == week[first]) ++last;
    std::string days(kDayNames[first]);
    if (last > first) {
      days += '-';
      days += kDayNames[last];
    }
    for (const Window& window : week[first]) {
      if (!out.empty()) out += ", ";
      out += days;
      out += ' ';
      out += clock_text(window.start);
      out += '-';
      out += clock_text(window.end);
    }
    first = last + 1;
  }
  return out;
}

// ---- Holidays ---------------------------------------------------------------------------------

struct Holidays {
  std::vector<std::int64_t> dated;         // day numbers, sorted, without repeats
  std::array<std::uint32_t, 13> yearly{};  // [month]: bit `day` set for a yearly holiday
  bool any_yearly = false;

  bool empty() const { return dated.empty() && !any_yearly; }

  bool contains(std::int64_t day) const {
    if (std::binary_search(dated.begin(), dated.end(), day)) return true;
    if (!any_yearly) return false;
    const chrono::year_month_day date = date_of(day);
    return (yearly[unsigned(date.month())] >> unsigned(date.day())) & 1u;
  }
};

// "2026-12-25" (that day) or "12-25" (every year).
Problem add_holiday(std::string_view text, Holidays& holidays) {
  const bool dated = text.size() == 10 && text[4] == '-' && text[7] == '-';
  const bool yearly = text.size() == 5 && text[2] == '-';
  if (!dated && !yearly) {
    return quote(text) + " is not a date (YYYY-MM-DD, or MM-DD for every year)";
  }
  const std::string_view month_day = dated ? text.substr(5) : text;
  const auto year = dated ? fixed_number(text.substr(0, 4), 4) : std::optional<int>(2000);
  const auto month = fixed_number(month_day.substr(0, 2), 2);
  const auto day = fixed_number(month_day.substr(3), 2);
  if (!year || !month || !day) {
    return quote(text) + " is not a date (YYYY-MM-DD, or MM-DD for every year)";
  }
  // A yearly date is checked in a leap year, so that 02-29 is accepted.
  const chrono::year_month_day date{chrono::year{*year}, chrono::month{unsigned(*month)},
                                    chrono::day{unsigned(*day)}};
  if (!date.ok() || *year < 1) return quote(text) + ": no such date";
  if (dated) {
    holidays.dated.push_back(day_number(chrono::sys_days{date}));
  } else {
    holidays.yearly[unsigned(*month)] |= 1u << unsigned(*day);
    holidays.any_yearly = true;
  }
  return std::nullopt;
}

Problem parse_holidays(std::string_view text, Holidays& holidays) {
  if (text.empty()) return std::nullopt;
  const std::vector<std::string_view> items = split_items(text);
  if (items.size() > BusinessHours::kMaxHolidays) {
    return "holidays: " + std::to_string(items.size()) + " dates, at most " +
           std::to_string(BusinessHours::kMaxHolidays) + " are allowed";
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].empty()) {
      return "holidays: item " + std::to_string(i + 1) +
             " is empty (two separators in a row, or one at an end)";
    }
    if (Problem p = add_holiday(items[i], holidays)) return "holidays: " + *p;
  }
  std::sort(holidays.dated.begin(), holidays.dated.end());
  holidays.dated.erase(std::unique(holidays.dated.begin(), holidays.dated.end()),
                       holidays.dated.end());
  return std::nullopt;
}

// ---- Time zones -------------------------------------------------------------------------------

// The day of a year a daylight-saving change falls on, as a POSIX TZ string writes it.
struct DateRule {
  enum class Kind {
    kJulianNoLeap,  // "Jn": day n of 1..365, February 29 never counted
    kZeroBased,     // "n": day n of 0..365, February 29 counted
    kMonthWeekDay,  // "Mm.w.d": weekday d (0 Sunday) of week w (5: the last) of month m
  };
  Kind kind = Kind::kMonthWeekDay;
  int day = 0;
  int month = 1;
  int week = 1;
  int weekday = 0;
};

struct ZoneChange {
  DateRule date;
  Millis time = 2 * kHour;  // local time of day of the change, -167 h to 167 h
};

// A POSIX TZ rule: a standard offset and, optionally, a daylight-saving offset with the yearly
// changes between them.
struct PosixZone {
  Millis standard_offset = 0;  // local time minus UTC (east of Greenwich is positive)
  bool has_dst = false;
  Millis dst_offset = 0;
  ZoneChange dst_start;  // its time is standard local time
  ZoneChange dst_end;    // its time is daylight-saving local time
};

std::int64_t day_of_change(const DateRule& rule, int year) {
  const chrono::year y{year};
  const std::int64_t january_first = day_number(chrono::sys_days{y / chrono::January / 1});
  switch (rule.kind) {
    case DateRule::Kind::kJulianNoLeap:
      // From March on, a leap year's day n is one later than it counts.
      return january_first + rule.day - 1 + (y.is_leap() && rule.day >= 60 ? 1 : 0);
    case DateRule::Kind::kZeroBased:
      return january_first + rule.day;
    case DateRule::Kind::kMonthWeekDay: {
      const chrono::year_month month = y / chrono::month{unsigned(rule.month)};
      const chrono::weekday weekday{unsigned(rule.weekday)};
      if (rule.week == 5) return day_number(chrono::sys_days{month / weekday[chrono::last]});
      return day_number(chrono::sys_days{month / weekday[unsigned(rule.week)]});
    }
  }
  return january_first;
}

// The UTC instant of `change` in `year`, whose time is read with the offset in force before it.
Millis instant_of(const ZoneChange& change, int year, Millis offset_before) {
  return day_of_change(change.date, year) * kDay + change.time - offset_before;
}

// The local year `utc` falls in by standard time; changes are looked for in it and its neighbours.
int standard_year_of(const PosixZone& zone, Millis utc) {
  return static_cast<int>(date_of(floor_div(utc + zone.standard_offset, kDay)).year());
}

// Whether `utc` is in the daylight-saving period that starts in `year` (in the southern hemisphere
// it ends in the next year).
bool in_dst_period(const PosixZone& zone, int year, Millis utc) {
  const Millis start = instant_of(zone.dst_start, year, zone.standard_offset);
  Millis end = instant_of(zone.dst_end, year, zone.dst_offset);
  if (end <= start) end = instant_of(zone.dst_end, year + 1, zone.dst_offset);
  return start <= utc && utc < end;
}

Millis offset_at(const PosixZone& zone, Millis utc) {
  if (!zone.has_dst) return zone.standard_offset;
  // A change may lie up to a week from the day its rule names (times of up to 167 hours), so the
  // period that holds `utc` starts in its year or one next to it.
  const int year = standard_year_of(zone, utc);
  for (int y = year - 1; y <= year + 1; ++y) {
    if (in_dst_period(zone, y, utc)) return zone.dst_offset;
  }
  return zone.standard_offset;
}

// The first instant after `utc` at which the offset may change; kNever without daylight saving.
Millis next_change_after(const PosixZone& zone, Millis utc) {
  if (!zone.has_dst) return kNever;
  const int year = standard_year_of(zone, utc);
  Millis next = kNever;
  for (int y = year - 1; y <= year + 2; ++y) {
    for (const Millis at : {instant_of(zone.dst_start, y, zone.standard_offset),
                            instant_of(zone.dst_end, y, zone.dst_offset)}) {
      if (at > utc) next = std::min(next, at);
    }
  }
  return next;
}

// Reads a POSIX TZ string, with RFC 8536's extensions (change times from -167 to 167 hours).
class PosixZoneReader {
 public:
  explicit PosixZoneReader(std::string_view text) : text_(text) {}

  Problem read(PosixZone& zone) {
    if (Problem p = name("the zone's name")) return p;
    if (at_end()) return "an offset must follow the name, such as \"KST-9\" (9 hours east of UTC)";
    if (Problem p = offset(zone.standard_offset)) return p;
    if (at_end()) return std::nullopt;
    zone.has_dst = true;
    if (Problem p = name("the daylight-saving name")) return p;
    zone.dst_offset = zone.standard_offset + kHour;
    if (!at_end() && text_[pos_] != ',') {
      if (Problem p = offset(zone.dst_offset)) return p;
    }
    if (at_end()) {
      return "a daylight-saving name needs the rule of when it starts and ends, such as "
             "\"CET-1CEST,M3.5.0,M10.5.0/3\"";
    }
    if (Problem p = expect(',')) return p;
    if (Problem p = change(zone.dst_start)) return p;
    if (Problem p = expect(',')) return p;
    if (Problem p = change(zone.dst_end)) return p;
    if (!at_end()) return unexpected();
    return std::nullopt;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }

  Problem unexpected() const {
    if (at_end()) return "it ends too soon";
    return "unexpected " + quote(text_.substr(pos_, 1)) + " at position " +
           std::to_string(pos_ + 1);
  }

  Problem expect(char c) {
    if (at_end() || text_[pos_] != c) return unexpected();
    ++pos_;
    return std::nullopt;
  }

  // Letters ("CET"), or "<...>" around letters, digits, '+' and '-' ("<+0530>"); 3 at least.
  Problem name(const char* what) {
    const bool quoted = !at_end() && text_[pos_] == '<';
    if (quoted) ++pos_;
    const std::size_t start = pos_;
    while (!at_end() &&
           (is_letter(text_[pos_]) ||
            (quoted && (is_digit(text_[pos_]) || text_[pos_] == '+' || text_[pos_] == '-')))) {
      ++pos_;
    }
    if (pos_ - start < 3) {
      return std::string(what) + " must have 3 letters at least" +
             (quoted ? " (letters, digits, '+' or '-' between < and >)" : "");
    }
    if (quoted) return expect('>');
    return std::nullopt;
  }

  // Digits, `max_digits` at most; nullopt when there are none or too many.
  std::optional<int> number(std::size_t max_digits) {
    const std::size_t start = pos_;
    int value = 0;
    while (!at_end() && is_digit(text_[pos_]) && pos_ - start < max_digits) {
      value = value * 10 + (text_[pos_++] - '0');
    }
    if (pos_ == start || (!at_end() && is_digit(text_[pos_]))) return std::nullopt;
    return value;
  }

  // [+-]hh[:mm[:ss]] with hours up to `max_hours`: signed ms.
  Problem duration(int max_hours, Millis& out) {
    int sign = 1;
    if (!at_end() && (text_[pos_] == '+' || text_[pos_] == '-')) {
      sign = text_[pos_++] == '-' ? -1 : 1;
    }
    const auto hours = number(3);
    if (!hours || *hours > max_hours) {
      return "hours must be 0 to " + std::to_string(max_hours) + " " + where();
    }
    Millis value = *hours * kHour;
    for (const Millis unit : {kMinute, Millis{1000}}) {
      if (at_end() || text_[pos_] != ':') break;
      ++pos_;
      const auto part = number(2);
      if (!part || *part > 59) return "minutes and seconds must be 0 to 59 " + where();
      value += *part * unit;
    }
    out = sign * value;
    return std::nullopt;
  }

  // POSIX counts hours west of Greenwich; the offset kept is east.
  Problem offset(Millis& out) {
    Millis west = 0;
    if (Problem p = duration(24, west)) return p;
    out = -west;
    return std::nullopt;
  }

  // "Jn", "n" or "Mm.w.d", then optionally "/time".
  Problem change(ZoneChange& out) {
    DateRule& rule = out.date;
    const std::string bad_date =
        "a change date must be Jn (1-365), n (0-365) or Mm.w.d "
        "(month 1-12, week 1-5, weekday 0-6) " +
        where();
    if (!at_end() && text_[pos_] == 'J') {
      ++pos_;
      rule.kind = DateRule::Kind::kJulianNoLeap;
      const auto day = number(3);
      if (!day || *day < 1 || *day > 365) return bad_date;
      rule.day = *day;
    } else if (!at_end() && text_[pos_] == 'M') {
      ++pos_;
      rule.kind = DateRule::Kind::kMonthWeekDay;
      const auto month = number(2);
      if (!month || *month < 1 || *month > 12 || expect('.')) return bad_date;
      const auto week = number(1);
      if (!week || *week < 1 || *week > 5 || expect('.')) return bad_date;
      const auto weekday = number(1);
      if (!weekday || *weekday > 6) return bad_date;
      rule.month = *month;
      rule.week = *week;
      rule.weekday = *weekday;
    } else {
      rule.kind = DateRule::Kind::kZeroBased;
      const auto day = number(3);
      if (!day || *day > 365) return bad_date;
      rule.day = *day;
    }
    if (!at_end() && text_[pos_] == '/') {
      ++pos_;
      return duration(167, out.time);
    }
    return std::nullopt;
  }

  std::string where() const { return "at position " + std::to_string(pos_ + 1); }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// A zone name as the zone database spells them. Anything else never reaches the file system.
bool is_zone_name(std::string_view name) {
  if (name.empty() || name.size() > BusinessHours::kMaxTimeZoneBytes) return false;
  if (name.front() == '/' || name.find("..") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return is_letter(c) || is_digit(c) || c == '_' || c == '-' || c == '+' || c == '/';
  });
}

std::uint32_t big_endian_32(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i)
    value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

// The size of the data block after the TZif header at `header`, whose times take `time_bytes`.
std::size_t tzif_data_bytes(std::string_view file, std::size_t header, std::size_t time_bytes) {
  const std::size_t counts = header + 20;  // magic, version and 15 reserved bytes come first
  const std::size_t utc_indicators = big_endian_32(file, counts);
  const std::size_t std_indicators = big_endian_32(file, counts + 4);
  const std::size_t leap_seconds = big_endian_32(file, counts + 8);
  const std::size_t transitions = big_endian_32(file, counts + 12);
  const std::size_t types = big_endian_32(file, counts + 16);
  const std::size_t abbreviation_bytes = big_endian_32(file, counts + 20);
  return transitions * (time_bytes + 1) + types * 6 + abbreviation_bytes +
         leap_seconds * (time_bytes + 4) + std_indicators + utc_indicators;
}

// The POSIX TZ string a TZif file (RFC 8536) ends with: it gives the local time after the last
// transition the file lists, which is today's rule.
Problem tzif_footer(std::string_view file, std::string& rule) {
  constexpr std::size_t kHeaderBytes = 44;
  if (file.size() < kHeaderBytes || file.substr(0, 4) != "TZif") return "not a zone file";
  if (file[4] == '\0') return "a version 1 zone file, which has no TZ rule at its end";
  const std::size_t second_header = kHeaderBytes + tzif_data_bytes(file, 0, 4);
  if (file.size() < second_header + kHeaderBytes || file.substr(second_header, 4) != "TZif") {
    return "a damaged zone file (its second header is missing)";
  }
  const std::size_t footer = second_header + kHeaderBytes + tzif_data_bytes(file, second_header, 8);
  if (file.size() < footer + 2 || file[footer] != '\n') {
    return "a damaged zone file (its TZ rule is missing)";
  }
  const std::size_t end = file.find('\n', footer + 1);
  if (end == std::string_view::npos) return "a damaged zone file (its TZ rule is cut off)";
  if (end == footer + 1) return "its zone file has no TZ rule for today's dates";
  rule = std::string(file.substr(footer + 1, end - footer - 1));
  return std::nullopt;
}

constexpr std::string_view kNoSuchZone = "no zone of that name";

// The TZ rule of the zone file `name` under `directory`.
Problem read_zone_file(const std::string& directory, std::string_view name, std::string& rule) {
  namespace fs = std::filesystem;
  const fs::path path = fs::path(directory) / fs::path(std::string(name));
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) return std::string(kNoSuchZone);
  if (ec) return "its zone file cannot be read: " + ec.message();
  if (!fs::is_regular_file(status)) return "not a zone file";
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return "its zone file cannot be read: " + ec.message();
  if (size > kMaxZoneFileBytes) return "not a zone file (far too large)";
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!in) return "its zone file cannot be read";
  return tzif_footer(bytes, rule);
}

Problem parse_time_zone(std::string_view text, const std::string& zoneinfo_dir, PosixZone& zone) {
  const std::string prefix = "time zone " + quote(text) + ": ";
  if (text.empty()) {
    return "time zone: empty (a zone name such as \"Europe/Berlin\" or \"UTC\", or a POSIX TZ "
           "string such as \"KST-9\")";
  }
  if (text.size() > BusinessHours::kMaxTimeZoneBytes) {
    return "time zone: longer than " + std::to_string(BusinessHours::kMaxTimeZoneBytes) + " bytes";
  }
  if (text == "UTC") return std::nullopt;  // the default; it needs no zone database
  const Problem as_rule = PosixZoneReader(text).read(zone);
  if (!as_rule) return std::nullopt;
  zone = PosixZone{};
  if (!is_zone_name(text)) {
    return prefix +
           "neither a zone name (letters, digits and _-+/, no \"..\" or leading '/') "
           "nor a POSIX TZ string: " +
           *as_rule;
  }
  std::string rule;
  if (Problem p = read_zone_file(zoneinfo_dir, text, rule)) {
    // A name with a '/' was never meant as a POSIX TZ string; one without may have been ("KST").
    if (*p == kNoSuchZone && text.find('/') == std::string_view::npos) {
      return prefix + *p + ", and not a POSIX TZ string: " + *as_rule;
    }
    return prefix + *p;
  }
  if (Problem p = PosixZoneReader(rule).read(zone)) {
    return prefix + "its zone file's TZ rule " + quote(rule) + " is not understood: " + *p;
  }
  return std::nullopt;
}

}  // namespace

// ---- BusinessHours ----------------------------------------------------------------------------

struct BusinessHours::Impl {
  bool around_the_clock = false;  // weekly was empty: every day is one window 00:00-24:00
  WeekWindows week;               // merged windows of each day, Monday first
  Holidays holidays;
  PosixZone zone;
  std::string weekly_text;
  std::string time_zone;

  bool always_open() const { return around_the_clock && holidays.empty(); }

  const std::vector<Window>& windows_of(std::int64_t day) const { return week[weekday_of(day)]; }

  // The questions below are asked in local time: ms since 1970-01-01T00:00 on the local clock.
  bool open_local(Millis local) const {
    const std::int64_t day = floor_div(local, kDay);
    const Millis time = local - day * kDay;
    for (const Window& window : windows_of(day)) {
      if (time < window.start) return false;  // the windows are in order
      if (time < window.end) return !holidays.contains(day);
    }
    return false;
  }

  // The first open local time at or after `local`, looking no further than the day `last_day`.
  std::optional<Millis> first_open_local(Millis local, std::int64_t last_day) const {
    std::int64_t day = floor_div(local, kDay);
    for (Millis time = local - day * kDay; day <= last_day; ++day, time = 0) {
      if (holidays.contains(day)) continue;
      for (const Window& window : windows_of(day)) {
        if (window.end > time) return day * kDay + std::max(window.start, time);
      }
    }
    return std::nullopt;
  }

  // The first closed local time at or after `local`, looking no further than the day `last_day`.
  // A window ending at 24:00 goes on in one starting at 00:00 the next day.
  std::optional<Millis> first_closed_local(Millis local, std::int64_t last_day) const {
    std::int64_t day = floor_div(local, kDay);
    for (Millis time = local - day * kDay; day <= last_day; ++day, time = 0) {
      if (holidays.contains(day)) return day * kDay + time;
      // Merged windows neither overlap nor touch, so the end of the one holding `time` is closed,
      // unless it is midnight.
      const auto& windows = windows_of(day);
      const auto holding = std::find_if(windows.begin(), windows.end(), [time](const Window& w) {
        return w.start <= time && time < w.end;
      });
      if (holding == windows.end()) return day * kDay + time;
      if (holding->end < kDay) return day * kDay + holding->end;
    }
    return std::nullopt;
  }

  // The first instant from `now` (within kSearchHorizon) whose local time `find` (one of the two
  // above) gives: the walk described below, shared by next_opening and closing_at.
  using LocalFinder = std::optional<Millis> (Impl::*)(Millis, std::int64_t) const;
  std::optional<Millis> first_instant(Millis now, LocalFinder find) const {
    const Millis horizon = now + kSearchHorizon;
    for (Millis from = now; from <= horizon;) {
      const Millis offset = offset_at(zone, from);
      const Millis change = next_change_after(zone, from);
      const auto local = (this->*find)(from + offset, floor_div(horizon + offset, kDay));
      if (local && *local - offset < change) {
        if (*local - offset > horizon) return std::nullopt;
        return *local - offset;
      }
      from = change;
    }
    return std::nullopt;
  }
};

std::variant<BusinessHours, std::string> BusinessHours::parse(std::string_view weekly,
                                                              std::string_view holidays,
                                                              std::string_view time_zone,
                                                              const std::string& zoneinfo_dir) {
  // The sizes are checked first, so that nothing else is done with a huge text.
  if (weekly.size() > kMaxWeeklyBytes) {
    return "weekly hours: longer than " + std::to_string(kMaxWeeklyBytes) + " bytes";
  }
  if (holidays.size() > kMaxHolidaysBytes) {
    return "holidays: longer than " + std::to_string(kMaxHolidaysBytes) + " bytes";
  }
  auto impl = std::make_shared<Impl>();
  weekly = trim(weekly);
  if (weekly.empty()) {
    impl->around_the_clock = true;
    for (auto& windows : impl->week) windows = {Window{0, kDay}};
  } else {
    const std::vector<std::string_view> items = split_items(weekly);
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (Problem p = add_weekly_item(items[i], impl->week)) {
        return "weekly hours, item " + std::to_string(i + 1) + " " + quote(items[i]) + ": " + *p;
      }
    }
    merge_windows(impl->week);
    impl->weekly_text = describe_week(impl->week);
  }
  if (Problem p = parse_holidays(trim(holidays), impl->holidays)) return *p;
  time_zone = trim(time_zone);
  if (Problem p = parse_time_zone(time_zone, zoneinfo_dir, impl->zone)) return *p;
  impl->time_zone = std::string(time_zone);
  return BusinessHours(std::move(impl));
}

bool BusinessHours::always_open() const { return impl_->always_open(); }

bool BusinessHours::open_at(Millis now) const {
  const Impl& hours = *impl_;
  if (hours.always_open()) return true;
  if (!in_supported_range(now)) return false;
  return hours.open_local(now + offset_at(hours.zone, now));
}

// Both searches walk the stretches of constant UTC offset from `now` on: within one, local time
// runs with UTC, so the first local time that answers is the answer if it comes before the next
// change; otherwise the search goes on from the change, whose local time may jump either way
// (skipping a window or repeating one).

std::optional<Millis> BusinessHours::next_opening(Millis now) const {
  const Impl& hours = *impl_;
  if (hours.always_open()) return now;
  if (!in_supported_range(now)) return std::nullopt;
  return hours.first_instant(now, &Impl::first_open_local);
}

std::optional<Millis> BusinessHours::closing_at(Millis now) const {
  const Impl& hours = *impl_;
  if (hours.always_open() || !open_at(now)) return std::nullopt;
  return hours.first_instant(now, &Impl::first_closed_local);
}

std::string BusinessHours::weekly_text() const { return impl_->weekly_text; }

std::string BusinessHours::time_zone() const { return impl_->time_zone; }

}  // namespace aicc::chat
