#include "chat/business_hours.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace aicc::chat {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::string_view_literals;

constexpr Millis kMinute = 60'000;
constexpr Millis kHour = 60 * kMinute;
constexpr Millis kDay = 24 * kHour;

// The instant of a UTC date and time.
Millis utc(int year, unsigned month, unsigned day, int hour = 0, int minute = 0, int second = 0,
           int ms = 0) {
  namespace chrono = std::chrono;
  const chrono::sys_days date = chrono::year{year} / chrono::month{month} / chrono::day{day};
  return chrono::duration_cast<chrono::milliseconds>(date.time_since_epoch()).count() +
         hour * kHour + minute * kMinute + second * 1000 + ms;
}

// A zone database that is not there: the tests never depend on the machine's.
std::string no_zone_database() {
  return (fs::temp_directory_path() / "aicc-business-hours-no-zoneinfo").string();
}

constexpr const char* kBerlin = "CET-1CEST,M3.5.0,M10.5.0/3";  // UTC+1, +2 from March to October

BusinessHours hours(std::string_view weekly, std::string_view holidays = "",
                    std::string_view zone = "UTC",
                    const std::string& zoneinfo = no_zone_database()) {
  auto result = BusinessHours::parse(weekly, holidays, zone, zoneinfo);
  if (const auto* error = std::get_if<std::string>(&result)) {
    ADD_FAILURE() << "refused: " << *error;
    // Open around the clock, so that the test's own expectations fail as well.
    return std::get<BusinessHours>(BusinessHours::parse("", "", "UTC"));
  }
  return std::get<BusinessHours>(std::move(result));
}

std::string error_of(std::string_view weekly, std::string_view holidays = "",
                     std::string_view zone = "UTC",
                     const std::string& zoneinfo = no_zone_database()) {
  auto result = BusinessHours::parse(weekly, holidays, zone, zoneinfo);
  if (const auto* error = std::get_if<std::string>(&result)) return *error;
  return "(parsed without error)";
}

// ---- The weekly schedule ----------------------------------------------------------------------

TEST(BusinessHours, EmptyWeeklyIsOpenAroundTheClock) {
  const BusinessHours always = hours("", "", "UTC");
  EXPECT_TRUE(always.always_open());
  EXPECT_EQ(always.weekly_text(), "");
  EXPECT_EQ(always.time_zone(), "UTC");
  for (const Millis at : {utc(2026, 3, 1), utc(2026, 3, 7, 23, 59, 59, 999), Millis{0},
                          std::numeric_limits<Millis>::min(), std::numeric_limits<Millis>::max()}) {
    EXPECT_TRUE(always.open_at(at)) << at;
    EXPECT_EQ(always.next_opening(at), at) << at;
    EXPECT_EQ(always.closing_at(at), std::nullopt) << at;
  }
  EXPECT_TRUE(hours(" \t\n", "", "UTC").always_open());  // blanks are nothing
}

TEST(BusinessHours, OpenFromTheFirstMillisecondOfAWindowToTheLastOneBeforeItsEnd) {
  const BusinessHours office = hours("mon-fri 09:00-18:00");
  EXPECT_FALSE(office.always_open());
  const Millis monday = utc(2026, 3, 2);
  EXPECT_FALSE(office.open_at(monday + 9 * kHour - 1));
  EXPECT_TRUE(office.open_at(monday + 9 * kHour));
  EXPECT_TRUE(office.open_at(monday + 18 * kHour - 1));
  EXPECT_FALSE(office.open_at(monday + 18 * kHour));
  EXPECT_TRUE(office.open_at(utc(2026, 3, 6, 12)));   // Friday
  EXPECT_FALSE(office.open_at(utc(2026, 3, 7, 12)));  // Saturday
  EXPECT_FALSE(office.open_at(utc(2026, 3, 8, 12)));  // Sunday
}

TEST(BusinessHours, ATimeZoneMovesTheLocalDay) {
  const BusinessHours seoul = hours("mon 09:00-10:00", "", "KST-9");  // UTC+9
  EXPECT_EQ(seoul.time_zone(), "KST-9");
  EXPECT_FALSE(seoul.open_at(utc(2026, 3, 1, 23, 59, 59, 999)));  // Monday 08:59:59.999 in Seoul
  EXPECT_TRUE(seoul.open_at(utc(2026, 3, 2, 0)));                 // Monday 09:00 in Seoul
  EXPECT_FALSE(seoul.open_at(utc(2026, 3, 2, 1)));
  EXPECT_FALSE(seoul.open_at(utc(2026, 3, 2, 9, 30)));  // Monday 09:30 in UTC, 18:30 in Seoul
}

TEST(BusinessHours, DayRangesMayWrapAroundTheWeekend) {
  const BusinessHours weekend = hours("fri-mon 10:00-14:00");
  EXPECT_TRUE(weekend.open_at(utc(2026, 3, 6, 11)));    // Friday
  EXPECT_TRUE(weekend.open_at(utc(2026, 3, 7, 11)));    // Saturday
  EXPECT_TRUE(weekend.open_at(utc(2026, 3, 8, 11)));    // Sunday
  EXPECT_TRUE(weekend.open_at(utc(2026, 3, 9, 11)));    // Monday
  EXPECT_FALSE(weekend.open_at(utc(2026, 3, 10, 11)));  // Tuesday
  EXPECT_FALSE(weekend.open_at(utc(2026, 3, 11, 11)));  // Wednesday
  EXPECT_FALSE(weekend.open_at(utc(2026, 3, 12, 11)));  // Thursday
  EXPECT_EQ(weekend.weekly_text(), "mon 10:00-14:00, fri-sun 10:00-14:00");
}

TEST(BusinessHours, SeveralWindowsADayWithALunchBreak) {
  const BusinessHours office = hours("mon-fri 09:00-12:00; mon-fri 13:00-18:00");
  const Millis tuesday = utc(2026, 3, 3);
  EXPECT_TRUE(office.open_at(tuesday + 12 * kHour - 1));
  EXPECT_FALSE(office.open_at(tuesday + 12 * kHour));
  EXPECT_FALSE(office.open_at(tuesday + 13 * kHour - 1));
  EXPECT_TRUE(office.open_at(tuesday + 13 * kHour));
  EXPECT_EQ(office.closing_at(tuesday + 10 * kHour), tuesday + 12 * kHour);
  EXPECT_EQ(office.next_opening(tuesday + 12 * kHour), tuesday + 13 * kHour);
  EXPECT_EQ(office.weekly_text(), "mon-fri 09:00-12:00, mon-fri 13:00-18:00");
}

TEST(BusinessHours, OverlappingAndTouchingWindowsAreMerged) {
  const BusinessHours merged = hours("mon 09:00-12:00, mon 11:00-13:00, mon 13:00-14:00");
  EXPECT_EQ(merged.weekly_text(), "mon 09:00-14:00");
  EXPECT_EQ(merged.closing_at(utc(2026, 3, 2, 9)), utc(2026, 3, 2, 14));
  EXPECT_EQ(hours("tue 10:00-11:00, tue 09:00-17:00").weekly_text(), "tue 09:00-17:00");
}

TEST(BusinessHours, TextIsNormalisedAndReadsBackTheSame) {
  const BusinessHours messy = hours(
      "  SAT 10:00-13:00 ,Mon-Fri\t13:00-18:00;mon-fri 9:00-12:00, sun 00:00-24:00, "
      "wed 20:00-22:00  ");
  const std::string text = messy.weekly_text();
  EXPECT_EQ(text,
            "mon-tue 09:00-12:00, mon-tue 13:00-18:00, wed 09:00-12:00, wed 13:00-18:00, "
            "wed 20:00-22:00, thu-fri 09:00-12:00, thu-fri 13:00-18:00, sat 10:00-13:00, "
            "sun 00:00-24:00");
  const BusinessHours again = hours(text);
  EXPECT_EQ(again.weekly_text(), text);
  for (Millis at = utc(2026, 3, 2); at < utc(2026, 3, 9); at += 15 * kMinute) {
    ASSERT_EQ(again.open_at(at), messy.open_at(at)) << at;
  }
}

TEST(BusinessHours, InstantsBefore1970FallOnTheRightDay) {
  const BusinessHours office = hours("mon-fri 09:00-18:00");
  EXPECT_TRUE(office.open_at(utc(1969, 12, 29, 9)));  // a Monday
  EXPECT_FALSE(office.open_at(utc(1969, 12, 29, 9) - 1));
  EXPECT_FALSE(office.open_at(utc(1969, 12, 28, 9)));  // a Sunday
  EXPECT_EQ(office.next_opening(utc(1969, 12, 27, 12)), utc(1969, 12, 29, 9));
}

// ---- Holidays ---------------------------------------------------------------------------------

TEST(BusinessHours, ADatedHolidayClosesItsWholeLocalDay) {
  const BusinessHours seoul = hours("mon-fri 09:00-18:00", "2026-12-25", "KST-9");
  EXPECT_FALSE(seoul.always_open());
  EXPECT_TRUE(seoul.open_at(utc(2026, 12, 24, 1)));    // Thursday 10:00 in Seoul
  EXPECT_FALSE(seoul.open_at(utc(2026, 12, 25, 1)));   // Friday 10:00 in Seoul
  EXPECT_FALSE(seoul.open_at(utc(2026, 12, 24, 23)));  // Friday 08:00 in Seoul: still closed
  EXPECT_TRUE(seoul.open_at(utc(2026, 12, 28, 1)));    // Monday
  EXPECT_TRUE(seoul.open_at(utc(2027, 12, 24, 1)));    // a dated holiday does not come back
}

TEST(BusinessHours, AYearlyHolidayComesBackEveryYear) {
  const BusinessHours shop = hours("", "12-25", "UTC");
  EXPECT_FALSE(shop.always_open());
  EXPECT_TRUE(shop.open_at(utc(2026, 12, 25) - 1));
  EXPECT_FALSE(shop.open_at(utc(2026, 12, 25)));
  EXPECT_FALSE(shop.open_at(utc(2026, 12, 26) - 1));
  EXPECT_TRUE(shop.open_at(utc(2026, 12, 26)));
  EXPECT_FALSE(shop.open_at(utc(2031, 12, 25, 12)));
  EXPECT_EQ(shop.closing_at(utc(2026, 12, 20, 12)), utc(2026, 12, 25));
  EXPECT_EQ(shop.next_opening(utc(2026, 12, 25, 12)), utc(2026, 12, 26));
}

TEST(BusinessHours, TheTwentyNinthOfFebruaryIsAHolidayInLeapYearsOnly) {
  const BusinessHours shop = hours("", "02-29");
  EXPECT_FALSE(shop.open_at(utc(2028, 2, 29, 12)));
  EXPECT_TRUE(shop.open_at(utc(2027, 3, 1, 12)));
  EXPECT_TRUE(shop.open_at(utc(2027, 2, 28, 12)));
  EXPECT_EQ(error_of("", "2027-02-29"), "holidays: \"2027-02-29\": no such date");
  EXPECT_EQ(error_of("", "2028-02-29"), "(parsed without error)");
}

TEST(BusinessHours, HolidaysMayRepeatAndMixBothKinds) {
  const BusinessHours office =
      hours("mon-fri 09:00-18:00", "2026-12-31; 01-01, 2026-12-31 ,12-24", "UTC");
  EXPECT_FALSE(office.open_at(utc(2026, 12, 24, 10)));
  EXPECT_FALSE(office.open_at(utc(2026, 12, 31, 10)));
  EXPECT_FALSE(office.open_at(utc(2027, 1, 1, 10)));
  EXPECT_TRUE(office.open_at(utc(2026, 12, 30, 10)));
}

// ---- Searching forward ------------------------------------------------------------------------

TEST(BusinessHours, NextOpeningIsNowWhenOpen) {
  const BusinessHours office = hours("mon-fri 09:00-18:00");
  EXPECT_EQ(office.next_opening(utc(2026, 3, 2, 9)), utc(2026, 3, 2, 9));
  EXPECT_EQ(office.next_opening(utc(2026, 3, 2, 17, 59)), utc(2026, 3, 2, 17, 59));
  EXPECT_EQ(office.next_opening(utc(2026, 3, 2, 8, 59, 59, 999)), utc(2026, 3, 2, 9));
}

TEST(BusinessHours, NextOpeningAcrossAWeekend) {
  const BusinessHours office = hours("mon-fri 09:00-18:00");
  const Millis monday = utc(2026, 3, 9, 9);
  EXPECT_EQ(office.next_opening(utc(2026, 3, 6, 18)), monday);  // Friday at closing
  EXPECT_EQ(office.next_opening(utc(2026, 3, 7, 3)), monday);   // Saturday
  EXPECT_EQ(office.next_opening(utc(2026, 3, 8, 23, 59, 59, 999)), monday);
}

TEST(BusinessHours, NextOpeningAcrossARunOfHolidays) {
  // Christmas Eve to New Year's Day, around a weekend, in Seoul.
  const BusinessHours office = hours("mon-fri 09:00-18:00",
                                     "12-24, 12-25, 2026-12-28, 2026-12-29, 2026-12-30, "
                                     "2026-12-31, 01-01",
                                     "KST-9");
  const Millis wednesday_closing = utc(2026, 12, 23, 9);                  // 18:00 in Seoul
  EXPECT_EQ(office.next_opening(wednesday_closing), utc(2027, 1, 4, 0));  // Monday 09:00
}

TEST(BusinessHours, NextOpeningGivesUpWhenEveryWindowFallsOnAHoliday) {
  // Open on Mondays only, and every Monday of the next 400 days is a holiday.
  std::string mondays;
  for (Millis day = utc(2026, 3, 2); day < utc(2026, 3, 2) + 60 * 7 * kDay; day += 7 * kDay) {
    const auto date =
        std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{day / kDay}}};
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", int(date.year()), unsigned(date.month()),
                  unsigned(date.day()));
    mondays += std::string(mondays.empty() ? "" : ", ") + text;
  }
  const BusinessHours never = hours("mon 09:00-10:00", mondays);
  EXPECT_EQ(never.next_opening(utc(2026, 3, 1)), std::nullopt);
  EXPECT_FALSE(never.open_at(utc(2026, 3, 2, 9)));
  // Once the holidays run out, it opens again.
  EXPECT_EQ(never.next_opening(utc(2027, 4, 20)), utc(2027, 4, 26, 9));
}

TEST(BusinessHours, ClosingAtIsTheEndOfTheCurrentWindow) {
  const BusinessHours office = hours("mon-fri 09:00-18:00");
  EXPECT_EQ(office.closing_at(utc(2026, 3, 2, 9)), utc(2026, 3, 2, 18));
  EXPECT_EQ(office.closing_at(utc(2026, 3, 2, 17, 59, 59, 999)), utc(2026, 3, 2, 18));
  EXPECT_EQ(office.closing_at(utc(2026, 3, 2, 18)), std::nullopt);  // closed already
  EXPECT_EQ(office.closing_at(utc(2026, 3, 7, 12)), std::nullopt);
}

TEST(BusinessHours, WindowsMeetingAtMidnightCloseAsOne) {
  const BusinessHours late = hours("fri 22:00-24:00, sat 00:00-02:00");
  EXPECT_EQ(late.weekly_text(), "fri 22:00-24:00, sat 00:00-02:00");
  EXPECT_TRUE(late.open_at(utc(2026, 3, 7, 0)));  // Saturday midnight: still open
  EXPECT_EQ(late.closing_at(utc(2026, 3, 6, 23, 59)), utc(2026, 3, 7, 2));
  EXPECT_EQ(late.closing_at(utc(2026, 3, 6, 22)), utc(2026, 3, 7, 2));
  EXPECT_EQ(late.next_opening(utc(2026, 3, 7, 2)), utc(2026, 3, 13, 22));

  // A holiday on the Saturday cuts the night at midnight.
  const BusinessHours cut = hours("fri 22:00-24:00, sat 00:00-02:00", "2026-03-07");
  EXPECT_EQ(cut.closing_at(utc(2026, 3, 6, 23, 59)), utc(2026, 3, 7));
}

TEST(BusinessHours, OpenEveryHourOfEveryDayNeverCloses) {
  const BusinessHours nonstop = hours("mon-sun 00:00-24:00");
  EXPECT_FALSE(nonstop.always_open());  // it was given hours
  EXPECT_TRUE(nonstop.open_at(utc(2026, 3, 4, 3)));
  EXPECT_EQ(nonstop.closing_at(utc(2026, 3, 4, 3)), std::nullopt);
  EXPECT_EQ(hours("mon-sun 00:00-24:00", "12-25").closing_at(utc(2026, 3, 4, 3)),
            utc(2026, 12, 25));
}

TEST(BusinessHours, CopiesShareTheSchedule) {
  const BusinessHours original = hours("mon-fri 09:00-18:00", "12-25", "KST-9");
  const BusinessHours copy = original;
  EXPECT_EQ(copy.weekly_text(), original.weekly_text());
  EXPECT_EQ(copy.open_at(utc(2026, 3, 2, 1)), original.open_at(utc(2026, 3, 2, 1)));
}

TEST(BusinessHours, InstantsOutsideTheCalendarAreClosed) {
  const BusinessHours office = hours("mon-sun 00:00-24:00", "", kBerlin);
  for (const Millis at : {std::numeric_limits<Millis>::min(), std::numeric_limits<Millis>::max(),
                          utc(1, 1, 1) - 1, utc(10000, 1, 1)}) {
    EXPECT_FALSE(office.open_at(at)) << at;
    EXPECT_EQ(office.next_opening(at), std::nullopt) << at;
    EXPECT_EQ(office.closing_at(at), std::nullopt) << at;
  }
  EXPECT_TRUE(office.open_at(utc(1, 1, 1)));
  EXPECT_TRUE(office.open_at(utc(9999, 12, 31, 22)));
}

// ---- Daylight saving --------------------------------------------------------------------------

TEST(BusinessHoursDaylightSaving, WindowsFollowTheLocalClockAcrossTheChange) {
  // Berlin moves from UTC+1 to UTC+2 on Sunday 2026-03-29 at 01:00 UTC.
  const BusinessHours office = hours("mon-fri 09:00-18:00", "", kBerlin);
  EXPECT_TRUE(office.open_at(utc(2026, 3, 27, 8)));  // Friday 09:00 CET
  EXPECT_FALSE(office.open_at(utc(2026, 3, 27, 8) - 1));
  EXPECT_TRUE(office.open_at(utc(2026, 3, 30, 7)));  // Monday 09:00 CEST
  EXPECT_FALSE(office.open_at(utc(2026, 3, 30, 7) - 1));
  EXPECT_EQ(office.next_opening(utc(2026, 3, 27, 17)), utc(2026, 3, 30, 7));
  EXPECT_EQ(office.closing_at(utc(2026, 3, 30, 7)), utc(2026, 3, 30, 16));
  // And back to UTC+1 on Sunday 2026-10-25 at 01:00 UTC.
  EXPECT_TRUE(office.open_at(utc(2026, 10, 23, 7)));  // Friday 09:00 CEST
  EXPECT_TRUE(office.open_at(utc(2026, 10, 26, 8)));  // Monday 09:00 CET
  EXPECT_FALSE(office.open_at(utc(2026, 10, 26, 7)));
  EXPECT_EQ(office.next_opening(utc(2026, 10, 23, 16)), utc(2026, 10, 26, 8));
}

TEST(BusinessHoursDaylightSaving, AWindowTheSpringChangeSkipsDoesNotHappen) {
  // On 2026-03-29 Berlin's clocks go from 01:59:59.999 CET straight to 03:00 CEST.
  const BusinessHours skipped = hours("sun 02:00-03:00", "", kBerlin);
  for (Millis at = utc(2026, 3, 28, 23); at < utc(2026, 3, 29, 22); at += kMinute) {
    ASSERT_FALSE(skipped.open_at(at)) << at;
  }
  EXPECT_EQ(skipped.next_opening(utc(2026, 3, 28, 12)), utc(2026, 4, 5, 0));  // 02:00 CEST
  EXPECT_TRUE(skipped.open_at(utc(2026, 3, 22, 1)));  // a week before: 02:00 CET

  // Of a longer window, what is left after the jump.
  const BusinessHours longer = hours("sun 02:00-04:00", "", kBerlin);
  EXPECT_EQ(longer.next_opening(utc(2026, 3, 28, 12)), utc(2026, 3, 29, 1));  // 03:00 CEST
  EXPECT_EQ(longer.closing_at(utc(2026, 3, 29, 1)), utc(2026, 3, 29, 2));     // 04:00 CEST
  // A window that the jump cuts short.
  const BusinessHours early = hours("sun 01:00-03:00", "", kBerlin);
  EXPECT_TRUE(early.open_at(utc(2026, 3, 29, 0)));  // 01:00 CET
  EXPECT_EQ(early.closing_at(utc(2026, 3, 29, 0, 30)), utc(2026, 3, 29, 1));
  EXPECT_FALSE(early.open_at(utc(2026, 3, 29, 1)));  // 03:00 CEST
}

TEST(BusinessHoursDaylightSaving, AWindowTheAutumnChangeRepeatsLastsTwice) {
  // On 2026-10-25 Berlin's clocks go from 02:59:59.999 CEST back to 02:00 CET at 01:00 UTC.
  const BusinessHours twice = hours("sun 02:00-03:00", "", kBerlin);
  EXPECT_FALSE(twice.open_at(utc(2026, 10, 25, 0) - 1));  // 01:59:59.999 CEST
  EXPECT_TRUE(twice.open_at(utc(2026, 10, 25, 0)));       // 02:00 CEST
  EXPECT_TRUE(twice.open_at(utc(2026, 10, 25, 1) - 1));   // 02:59:59.999 CEST
  EXPECT_TRUE(twice.open_at(utc(2026, 10, 25, 1)));       // 02:00 CET
  EXPECT_TRUE(twice.open_at(utc(2026, 10, 25, 2) - 1));   // 02:59:59.999 CET
  EXPECT_FALSE(twice.open_at(utc(2026, 10, 25, 2)));      // 03:00 CET
  EXPECT_EQ(twice.closing_at(utc(2026, 10, 25, 0, 30)), utc(2026, 10, 25, 2));

  // A window missed during the first pass through the hour comes round again.
  const BusinessHours quarter = hours("sun 02:30-02:45", "", kBerlin);
  EXPECT_EQ(quarter.next_opening(utc(2026, 10, 25, 0, 50)), utc(2026, 10, 25, 1, 30));
  EXPECT_EQ(quarter.closing_at(utc(2026, 10, 25, 0, 30)), utc(2026, 10, 25, 0, 45));
  EXPECT_EQ(quarter.closing_at(utc(2026, 10, 25, 1, 30)), utc(2026, 10, 25, 1, 45));
}

TEST(BusinessHoursDaylightSaving, SouthernHemisphereSummerSpansNewYear) {
  // Sydney: UTC+11 from the first Sunday of October to the first Sunday of April, else UTC+10.
  const BusinessHours sydney = hours("mon-sun 09:00-10:00", "", "AEST-10AEDT,M10.1.0,M4.1.0/3");
  EXPECT_TRUE(sydney.open_at(utc(2026, 1, 14, 22)));   // 09:00 AEDT on the 15th
  EXPECT_FALSE(sydney.open_at(utc(2026, 1, 14, 23)));  // 10:00 AEDT
  EXPECT_TRUE(sydney.open_at(utc(2026, 7, 14, 23)));   // 09:00 AEST on the 15th
  EXPECT_FALSE(sydney.open_at(utc(2026, 7, 14, 22)));  // 08:00 AEST
}

TEST(BusinessHoursDaylightSaving, RulesOfEveryFormTheZoneDatabaseUses) {
  // Quoted names and an offset in minutes: Chatham Islands, UTC+12:45 in July.
  const BusinessHours chatham =
      hours("mon-sun 09:00-10:00", "", "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45");
  EXPECT_TRUE(chatham.open_at(utc(2026, 7, 14, 20, 15)));
  EXPECT_FALSE(chatham.open_at(utc(2026, 7, 14, 20, 15) - 1));
  // No daylight saving, quoted: Dubai, UTC+4.
  EXPECT_TRUE(hours("mon 09:00-10:00", "", "<+04>-4").open_at(utc(2026, 3, 2, 5)));
  // A change at a negative time: Nuuk, UTC-2, then UTC-1 from Saturday 23:00 local before the
  // last Sunday of March.
  const BusinessHours nuuk = hours("mon-sun 12:00-13:00", "", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
  EXPECT_TRUE(nuuk.open_at(utc(2026, 2, 16, 14)));
  EXPECT_TRUE(nuuk.open_at(utc(2026, 6, 15, 13)));
  EXPECT_FALSE(nuuk.open_at(utc(2026, 6, 15, 14)));
  // A change after 24:00: Jerusalem's starts at "26:00" on a Thursday, Friday 02:00.
  const BusinessHours jerusalem = hours("fri 09:00-10:00", "", "IST-2IDT,M3.4.4/26,M10.5.0");
  EXPECT_TRUE(jerusalem.open_at(utc(2026, 3, 20, 7)));  // 09:00 IST
  EXPECT_TRUE(jerusalem.open_at(utc(2026, 3, 27, 6)));  // 09:00 IDT
  EXPECT_FALSE(jerusalem.open_at(utc(2026, 3, 27, 7) + 59 * kMinute));
}

TEST(BusinessHoursDaylightSaving, JulianAndZeroBasedDays) {
  // In a leap year, zero-based day 59 is February 29, and J60 is March 1.
  const BusinessHours zero_based = hours("mon-sun 12:00-13:00", "", "EST5EDT,59/2,300/2");
  const BusinessHours julian = hours("mon-sun 12:00-13:00", "", "EST5EDT,J60/2,J300/2");
  const Millis noon_in_daylight_time = utc(2028, 2, 29, 16);  // 12:00 EDT, 11:00 EST
  EXPECT_TRUE(zero_based.open_at(noon_in_daylight_time));
  EXPECT_FALSE(julian.open_at(noon_in_daylight_time));
  EXPECT_TRUE(julian.open_at(utc(2028, 3, 1, 16)));
  // Daylight saving all year, as RFC 8536 writes it.
  const BusinessHours all_year = hours("mon-sun 12:00-13:00", "", "EST5EDT,0/0,J365/25");
  for (const Millis at : {utc(2026, 1, 1, 16), utc(2026, 7, 1, 16), utc(2026, 12, 31, 16)}) {
    EXPECT_TRUE(all_year.open_at(at)) << at;
  }
}

// Whatever the schedule and the changes, next_opening and closing_at agree with open_at: checked
// minute by minute (all windows and offsets here are whole minutes).
TEST(BusinessHoursDaylightSaving, SearchesAgreeWithOpenAtAroundBothChanges) {
  const BusinessHours tricky = hours(
      "mon-fri 09:00-12:00, mon-fri 13:00-18:00, fri 22:00-24:00, sat 00:00-02:00, "
      "sun 01:30-02:30, sun 02:45-03:15",
      "2026-03-31, 2026-10-27", kBerlin);
  for (const Millis start : {utc(2026, 3, 26), utc(2026, 10, 22)}) {
    for (Millis now = start; now < start + 7 * kDay; now += 37 * kMinute) {
      const auto opening = tricky.next_opening(now);
      ASSERT_TRUE(opening.has_value()) << now;
      ASSERT_TRUE(tricky.open_at(*opening)) << now;
      ASSERT_GE(*opening, now);
      for (Millis t = now; t < *opening; t += kMinute) {
        ASSERT_FALSE(tricky.open_at(t)) << now;
      }
      if (*opening > now) {
        ASSERT_FALSE(tricky.open_at(*opening - 1)) << now;
      }
      if (!tricky.open_at(now)) {
        ASSERT_EQ(tricky.closing_at(now), std::nullopt) << now;
        continue;
      }
      const auto closing = tricky.closing_at(now);
      ASSERT_TRUE(closing.has_value()) << now;
      ASSERT_GT(*closing, now);
      ASSERT_FALSE(tricky.open_at(*closing)) << now;
      ASSERT_TRUE(tricky.open_at(*closing - 1)) << now;
      for (Millis t = now; t < *closing; t += kMinute) {
        ASSERT_TRUE(tricky.open_at(t)) << now;
      }
    }
  }
}

// ---- Zone files -------------------------------------------------------------------------------

// A zone file as RFC 8536 lays it out: the version 1 block, then the version 2 block with 64-bit
// times, then the TZ rule between newlines. `transitions` dummy transitions fill both blocks.
std::string zone_file(std::string_view rule, char version = '2', std::uint32_t transitions = 0) {
  std::string out;
  const auto put32 = [&out](std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out += char((value >> shift) & 0xFF);
  };
  const auto block = [&](int time_bytes) {
    out += "TZif";
    out += version;
    out += std::string(15, '\0');
    for (const std::uint32_t count : {0u, 0u, 0u, transitions, 1u, 4u}) put32(count);
    for (std::uint32_t i = 0; i < transitions; ++i) {
      out += std::string(time_bytes - 1, '\0');
      out += char(i);  // '\n' among them: the rule is found by the counts, not by searching
    }
    out += std::string(transitions, '\0');  // each transition's local time type: the only one
    put32(0);                               // that type: UTC offset 0,
    out += '\0';                            // not daylight saving,
    out += '\0';                            // abbreviation at 0
    out += std::string("LMT\0", 4);
  };
  block(4);
  if (version == '\0') return out;
  block(8);
  return out + "\n" + std::string(rule) + "\n";
}

// Each test gets its own zone database folder.
class BusinessHoursZoneFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device seed;
    root_ = fs::temp_directory_path() / ("aicc-business-hours-test-" + std::to_string(seed()));
    zoneinfo_ = root_ / "zoneinfo";
    fs::create_directories(zoneinfo_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  void write(const fs::path& path, const std::string& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
  }
  void write_zone(const std::string& name, const std::string& bytes) {
    write(zoneinfo_ / name, bytes);
  }

  std::string zoneinfo() const { return zoneinfo_.string(); }

  fs::path root_;
  fs::path zoneinfo_;
};

TEST_F(BusinessHoursZoneFiles, AZoneNameReadsTheRuleAtTheEndOfItsFile) {
  write_zone("Asia/Seoul", zone_file("KST-9"));
  const BusinessHours seoul = hours("mon 09:00-10:00", "", "Asia/Seoul", zoneinfo());
  EXPECT_EQ(seoul.time_zone(), "Asia/Seoul");
  EXPECT_TRUE(seoul.open_at(utc(2026, 3, 2, 0)));
  EXPECT_FALSE(seoul.open_at(utc(2026, 3, 2, 9)));
}

TEST_F(BusinessHoursZoneFiles, TransitionsBeforeTheRuleAreSkippedByTheirCounts) {
  write_zone("Europe/Berlin", zone_file(kBerlin, '2', 11));
  write_zone("Europe/Version3", zone_file("KST-9", '3', 3));
  const BusinessHours berlin = hours("mon-fri 09:00-18:00", "", "Europe/Berlin", zoneinfo());
  EXPECT_TRUE(berlin.open_at(utc(2026, 3, 27, 8)));  // 09:00 CET
  EXPECT_TRUE(berlin.open_at(utc(2026, 3, 30, 7)));  // 09:00 CEST
  EXPECT_FALSE(berlin.open_at(utc(2026, 3, 30, 7) - 1));
  EXPECT_TRUE(
      hours("mon 09:00-10:00", "", "Europe/Version3", zoneinfo()).open_at(utc(2026, 3, 2, 0)));
}

TEST_F(BusinessHoursZoneFiles, UtcNeedsNoZoneDatabase) {
  EXPECT_EQ(error_of("mon 09:00-10:00", "", "UTC", zoneinfo()), "(parsed without error)");
  EXPECT_EQ(error_of("mon 09:00-10:00", "", "UTC", no_zone_database()), "(parsed without error)");
  EXPECT_EQ(error_of("mon 09:00-10:00", "", "  UTC  ", no_zone_database()),
            "(parsed without error)");
}

TEST_F(BusinessHoursZoneFiles, AnUnknownZoneIsRefused) {
  EXPECT_EQ(error_of("", "", "Mars/Olympus_Mons", zoneinfo()),
            "time zone \"Mars/Olympus_Mons\": no zone of that name");
  // Without a '/', it may have been meant as a POSIX TZ string: what is wrong with that is said
  // too.
  EXPECT_EQ(error_of("", "", "KST", zoneinfo()),
            "time zone \"KST\": no zone of that name, and not a POSIX TZ string: an offset must "
            "follow the name, such as \"KST-9\" (9 hours east of UTC)");
  EXPECT_THAT(error_of("", "", "Asia/Seoul", no_zone_database()),
              HasSubstr("no zone of that name"));
}

TEST_F(BusinessHoursZoneFiles, NamesThatLeaveTheZoneDatabaseAreNeverOpened) {
  // A perfectly good zone file outside the database folder.
  write(root_ / "passwd", zone_file("KST-9"));
  write(root_ / "etc" / "passwd", zone_file("KST-9"));
  for (const std::string& name : std::vector<std::string>{
           "../passwd", "../../etc/passwd", "Asia/../../passwd", "..", "/etc/passwd",
           (root_ / "passwd").string(), "Asia\\..\\..\\passwd", "Asia/Seoul\n../passwd",
           std::string("Asia/Seoul\0/../../passwd", 24)}) {
    const std::string error = error_of("", "", name, zoneinfo());
    EXPECT_THAT(error, HasSubstr("neither a zone name")) << name;
    EXPECT_THAT(error, StartsWith("time zone \"")) << name;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
}

TEST_F(BusinessHoursZoneFiles, FilesThatAreNotZoneFilesAreRefused) {
  write_zone("Text/Plain", "hello, I am not a zone\n");
  write_zone("Text/Empty", "");
  write_zone("Old/Version1", zone_file("", '\0'));
  write_zone("Cut/Short", zone_file("KST-9").substr(0, 60));
  write_zone("Cut/NoRule", zone_file("KST-9").substr(0, zone_file("").size() - 2));
  write_zone("Cut/NoEnd", zone_file("KST-9").substr(0, zone_file("KST-9").size() - 1));
  write_zone("No/Rule", zone_file(""));
  write_zone("Bad/Rule", zone_file("Not a rule"));
  std::string huge_counts = zone_file("KST-9");
  huge_counts[20 + 12] = '\xff';  // a transition count of billions in a tiny file
  write_zone("Bad/Counts", huge_counts);
  write_zone("Too/Large", std::string(1024 * 1024, 'x'));

  const auto refused = [&](const std::string& name, const std::string& why) {
    const std::string error = error_of("", "", name, zoneinfo());
    EXPECT_THAT(error, StartsWith("time zone \"" + name + "\": ")) << name;
    EXPECT_THAT(error, HasSubstr(why)) << name;
  };
  refused("Text/Plain", "not a zone file");
  refused("Text/Empty", "not a zone file");
  refused("Old/Version1", "a version 1 zone file");
  refused("Cut/Short", "damaged");
  refused("Cut/NoRule", "damaged");
  refused("Cut/NoEnd", "damaged");
  refused("No/Rule", "no TZ rule for today's dates");
  refused("Bad/Rule", "its zone file's TZ rule \"Not a rule\" is not understood");
  refused("Bad/Counts", "damaged");
  refused("Too/Large", "not a zone file (far too large)");
  refused("Text", "not a zone file");  // a folder
}

// The zone database of the machine, when it has one: the real files end as expected.
TEST(BusinessHoursSystemZones, RealZoneFilesWhenInstalled) {
  const std::string zoneinfo = "/usr/share/zoneinfo";
  if (!fs::exists(fs::path(zoneinfo) / "Europe" / "Berlin") ||
      !fs::exists(fs::path(zoneinfo) / "Asia" / "Seoul")) {
    GTEST_SKIP() << "no zone database here";
  }
  const BusinessHours berlin = hours("mon-fri 09:00-18:00", "", "Europe/Berlin", zoneinfo);
  EXPECT_TRUE(berlin.open_at(utc(2026, 3, 27, 8)));  // 09:00 CET
  EXPECT_TRUE(berlin.open_at(utc(2026, 3, 30, 7)));  // 09:00 CEST
  EXPECT_FALSE(berlin.open_at(utc(2026, 3, 30, 7) - 1));
  EXPECT_TRUE(berlin.open_at(utc(2026, 10, 26, 8)));  // 09:00 CET
  const BusinessHours seoul = hours("mon 09:00-10:00", "", "Asia/Seoul", zoneinfo);
  EXPECT_TRUE(seoul.open_at(utc(2026, 3, 2, 0)));
  EXPECT_THAT(error_of("", "", "Asia/Nowhere", zoneinfo), HasSubstr("no zone of that name"));
}

// ---- Hostile input ----------------------------------------------------------------------------

TEST(BusinessHoursHostile, BadWeeklyItemsAreNamedWithTheReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"mon 25:00-26:00", "item 1 \"mon 25:00-26:00\": \"25:00\" is not a time of day"},
      {"mon 10:00-09:00", "the window ends before it starts"},
      {"mon 10:00-10:00", "the window is empty"},
      {"mon 24:00-24:00", "24:00 can only end a window"},
      {"xyz 09:00-10:00", "\"xyz\" is not a day"},
      {"mon-", "expected DAYS HH:MM-HH:MM"},
      {"mon- 09:00-10:00", "\"\" is not a day"},
      {"-fri 09:00-10:00", "\"\" is not a day"},
      {"mon-fri-sat 09:00-10:00", "\"fri-sat\" is not a day"},
      {"mon-mon 09:00-10:00", "a range from a day to itself"},
      {"monday 09:00-10:00", "\"monday\" is not a day"},
      {"mon", "expected DAYS HH:MM-HH:MM"},
      {"mon 09:00", "expected a window HH:MM-HH:MM"},
      {"mon 09:00 - 10:00", "expected DAYS HH:MM-HH:MM"},
      {"mon 09:00-10:00 sat", "expected DAYS HH:MM-HH:MM"},
      {"mon 09:60-10:00", "\"09:60\" is not a time of day"},
      {"mon 9-10", "\"9\" is not a time of day"},
      {"mon 009:00-10:00", "\"009:00\" is not a time of day"},
      {"mon 09:0-10:00", "\"09:0\" is not a time of day"},
      {"mon +9:00-10:00", "\"+9:00\" is not a time of day"},
      {"mon 09:00-10:00-11:00", "\"10:00-11:00\" is not a time of day"},
      {"mon 99999999999999999999:00-10:00", "is not a time of day"},
      {"mon 24:01-24:30", "\"24:01\" is not a time of day"},
      {"mon,wed 09:00-10:00", "item 1 \"mon\": expected DAYS HH:MM-HH:MM"},
      {"mon 09:00-10:00,", "item 2 \"\": an empty item"},
      {",", "item 1 \"\": an empty item"},
      {"mon 09:00-10:00;;tue 09:00-10:00", "item 2 \"\": an empty item"},
      {"fri 22:00-02:00", "one over midnight is written as two"},
      {"\xff\xfe 09:00-10:00", "\"\\xff\\xfe\" is not a day"},
      {std::string("mon\0 09:00-10:00", 16), "\"mon\\x00\" is not a day"},
  };
  for (const auto& [weekly, expected] : cases) {
    const std::string error = error_of(weekly);
    EXPECT_THAT(error, StartsWith("weekly hours, item ")) << weekly;
    EXPECT_THAT(error, HasSubstr(expected)) << weekly;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
}

TEST(BusinessHoursHostile, BadHolidaysAreNamedWithTheReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"2026-02-30", "holidays: \"2026-02-30\": no such date"},
      {"2026-13-01", "\"2026-13-01\": no such date"},
      {"2026-00-10", "\"2026-00-10\": no such date"},
      {"02-30", "\"02-30\": no such date"},
      {"0000-01-01", "\"0000-01-01\": no such date"},
      {"2026-12-25x", "\"2026-12-25x\" is not a date (YYYY-MM-DD, or MM-DD for every year)"},
      {"12/25", "is not a date"},
      {"2026-1-5", "is not a date"},
      {"+026-01-05", "is not a date"},
      {"christmas", "is not a date"},
      {"2026-12-25,", "item 2 is empty"},
      {"2026-12-25 2027-01-01", "is not a date"},
  };
  for (const auto& [holidays, expected] : cases) {
    const std::string error = error_of("", holidays);
    EXPECT_THAT(error, StartsWith("holidays: ")) << holidays;
    EXPECT_THAT(error, HasSubstr(expected)) << holidays;
  }
}

TEST(BusinessHoursHostile, AtMost400Holidays) {
  std::string dates;
  for (int i = 0; i < 400; ++i) dates += i == 0 ? "12-25" : ",12-25";
  EXPECT_EQ(error_of("", dates), "(parsed without error)");
  EXPECT_EQ(error_of("", dates + ",12-26"), "holidays: 401 dates, at most 400 are allowed");
}

TEST(BusinessHoursHostile, HugeTextsAreRefusedBeforeBeingRead) {
  EXPECT_EQ(error_of(std::string(2001, 'x')), "weekly hours: longer than 2000 bytes");
  EXPECT_EQ(error_of(std::string(10 * 1024 * 1024, ',')), "weekly hours: longer than 2000 bytes");
  EXPECT_EQ(error_of("", std::string(8001, '1')), "holidays: longer than 8000 bytes");
  EXPECT_EQ(error_of("", "", std::string(65, 'A')), "time zone: longer than 64 bytes");
  // Just under the limits, garbage is read and refused with a short message.
  const std::string error = error_of(std::string(2000, '\x01'));
  EXPECT_THAT(error, StartsWith("weekly hours, item 1 \"\\x01\\x01"));
  EXPECT_LT(error.size(), 400u);
  EXPECT_THAT(error_of(std::string(1000, ';')), HasSubstr("an empty item"));
  EXPECT_THAT(error_of("", std::string(8000, ',')), HasSubstr("at most 400"));
}

TEST(BusinessHoursHostile, BadTimeZonesAreNamedWithTheReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "time zone: empty"},
      {"   ", "time zone: empty"},
      {"KST", "an offset must follow the name"},
      {"KST-25", "hours must be 0 to 24"},
      {"KST-9:60", "minutes and seconds must be 0 to 59"},
      {"KS-9", "must have 3 letters at least"},
      {"<+04-4", "it ends too soon"},
      {"<a>-4", "must have 3 letters at least"},
      {"CET-1CEST", "needs the rule of when it starts and ends"},
      {"CET-1CEST,M3.5.0", "it ends too soon"},
      {"CET-1CEST,M13.5.0,M10.5.0", "a change date must be"},
      {"CET-1CEST,M3.6.0,M10.5.0", "a change date must be"},
      {"CET-1CEST,M3.5.7,M10.5.0", "a change date must be"},
      {"CET-1CEST,J0,J365", "a change date must be"},
      {"CET-1CEST,366,J365", "a change date must be"},
      {"CET-1CEST,M3.5.0/168,M10.5.0", "hours must be 0 to 167"},
      {"CET-1CEST,M3.5.0,M10.5.0/3,", "unexpected \",\""},
      {"CET-1CEST,M3.5.0,M10.5.0/3x", "unexpected \"x\""},
      {"CET-9999999999999999999", "hours must be 0 to 24"},
      {"Europe/Berlin,", "neither a zone name"},
      {"UTC\x01", "neither a zone name"},
  };
  for (const auto& [zone, expected] : cases) {
    const std::string error = error_of("", "", zone);
    EXPECT_THAT(error, StartsWith("time zone")) << zone;
    EXPECT_THAT(error, HasSubstr(expected)) << zone;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
}

TEST(BusinessHoursHostile, RandomTextNeverCrashes) {
  // Bytes from the characters that matter to the parsers, in every order.
  const std::string_view alphabet = "monfriMsatJ0123456789:-+,;/<> .\t\0\xff"sv;
  std::mt19937 random(20260329);
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const int length = static_cast<int>(random() % 40);
    for (int i = 0; i < length; ++i) text += alphabet[random() % alphabet.size()];
    for (const auto& result :
         {BusinessHours::parse(text, "", "UTC"), BusinessHours::parse("", text, "UTC"),
          BusinessHours::parse("", "", text, no_zone_database())}) {
      if (const auto* schedule = std::get_if<BusinessHours>(&result)) {
        const Millis now = utc(2026, 3, 29, 0, 30);
        const auto opening = schedule->next_opening(now);
        if (opening) {
          EXPECT_TRUE(schedule->open_at(*opening)) << text;
        }
        (void)schedule->closing_at(now);
      } else {
        EXPECT_FALSE(std::get<std::string>(result).empty());
      }
    }
  }
}

}  // namespace
}  // namespace aicc::chat
