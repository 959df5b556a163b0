// The contact center's business hours: when agents are there to take a consult request, in the
// center's own time zone, with its holidays.
//
// Pure and clock-free like the routing engine: every question takes `now` (unix ms), so the tests
// drive it with a fake clock. Everything that can fail (the schedule's text, the time zone and its
// file) fails once, in `parse`; afterwards the answers read no file, take no lock and allocate
// nothing, so `open_at` can be asked on every widget connect and consult request.
//
// The time zone is kept as a POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"), which is what the
// zone database's files end with and what they hold for today's dates. Zone history (past rule
// changes) is therefore not known: answers for dates before the zone's current rule came into force
// use the current rule, and a zone whose file lists irregular future changes in place of a rule
// (Africa/Casablanca's Ramadan hours) is off by its exceptions.
//
// Table of contents: `BusinessHours` (parse, the questions, the text for display); the limits on
// what `parse` accepts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace aicc::chat {

using Millis = std::int64_t;  // unix milliseconds

class BusinessHours {
 public:
  // Bounds on the configured text, checked before anything else is read from it.
  static constexpr std::size_t kMaxWeeklyBytes = 2000;
  static constexpr std::size_t kMaxHolidaysBytes = 8000;
  static constexpr std::size_t kMaxTimeZoneBytes = 64;
  static constexpr std::size_t kMaxHolidays = 400;
  // How far ahead next_opening and closing_at look before giving up.
  static constexpr Millis kSearchHorizon = 400LL * 86'400'000;

  // Parses the configured schedule; blanks around each of the three texts are ignored.
  //
  // weekly: "" means open around the clock (then only holidays close). Otherwise a comma- or
  // semicolon-separated list of "DAYS HH:MM-HH:MM" items. DAYS is a day (mon tue wed thu fri sat
  // sun, any case) or a range "mon-fri", which may wrap ("fri-mon"). A list of days is not: commas
  // separate items ("mon 09:00-12:00, wed 09:00-12:00"). A day may have several windows; windows
  // that overlap or touch are merged. A window ends after it starts; "24:00" is allowed as an end
  // only, so a window over midnight is written as two ("fri 22:00-24:00, sat 00:00-02:00"), and
  // the two count as one (closing_at).
  //
  // holidays: a comma- or semicolon-separated list of dates, each closing that whole local day:
  // "2026-12-25" (that day) or "12-25" (every year; "02-29" in leap years only). At most
  // kMaxHolidays of them; dates that do not exist (2026-02-30) are refused.
  //
  // time_zone: a POSIX TZ string ("KST-9", "CET-1CEST,M3.5.0,M10.5.0/3"; the sign is POSIX's:
  // hours west of Greenwich), or a zone name ("Asia/Seoul", "Europe/Berlin"), whose file under
  // `zoneinfo_dir` supplies the POSIX TZ string it ends with. A name is letters, digits and
  // "_-+/", without ".." or a leading '/', and is checked before any file is opened. "UTC" needs
  // no file.
  //
  // Returns the schedule, or a one-line English message saying which part is wrong and why.
  static std::variant<BusinessHours, std::string> parse(
      std::string_view weekly, std::string_view holidays, std::string_view time_zone,
      const std::string& zoneinfo_dir = "/usr/share/zoneinfo");

  // Open around the clock: weekly was empty and there are no holidays.
  bool always_open() const;
  // Whether `now` falls in a window of its local day, and that day is not a holiday. Instants
  // outside the years 1 to 9999 are closed unless always_open.
  bool open_at(Millis now) const;
  // The first instant at or after `now` when it is open (`now` itself when open); nullopt when it
  // does not open within kSearchHorizon (every window falls on a holiday, say). A window that
  // a daylight-saving change skips over ("02:00-03:00" on the day clocks go from 02:00 to 03:00)
  // does not happen that day.
  std::optional<Millis> next_opening(Millis now) const;
  // While open: the first instant after `now` when it is closed, so windows joined at midnight
  // ("24:00" of one day meeting "00:00" of the next) count as one, and a holiday ends a window at
  // its midnight. Nullopt when closed now, always open, or open for all of kSearchHorizon.
  std::optional<Millis> closing_at(Millis now) const;

  // The weekly schedule normalised for display: runs of days with the same windows, mon to sun,
  // each window an item, in order: "mon-fri 09:00-18:00, sat 10:00-13:00". Parsing it again gives
  // the same schedule. Empty when weekly was.
  std::string weekly_text() const;
  // The time zone as given (a name or a POSIX TZ string).
  std::string time_zone() const;

 private:
  struct Impl;
  explicit BusinessHours(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<const Impl> impl_;  // never null; shared, so copies are cheap
};

}  // namespace aicc::chat
