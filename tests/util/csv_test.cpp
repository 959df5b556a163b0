#include "util/csv.hpp"

#include <gtest/gtest.h>

namespace aicc::util {
namespace {

TEST(Csv, QuotesEveryCellAndDoublesQuotes) {
  std::string out;
  append_csv_row(out, {"a", "", "say \"hi\"", "one,two", "line\nbreak", "김민수"});
  EXPECT_EQ(out, "\"a\",\"\",\"say \"\"hi\"\"\",\"one,two\",\"line\nbreak\",\"김민수\"\r\n");
}

// Chat text typed by a customer must never run as a spreadsheet formula.
TEST(Csv, CellsThatWouldRunAsFormulasStartWithAnApostrophe) {
  for (const std::string_view cell : {"=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=x", "\r=x"}) {
    std::string out;
    append_csv_row(out, {cell});
    EXPECT_EQ(out, "\"'" + std::string(cell) + "\"\r\n") << cell;
  }
  std::string out;
  append_csv_row(out, {"a=1", "2026-12-05T09:00:00.000Z"});
  EXPECT_EQ(out, "\"a=1\",\"2026-12-05T09:00:00.000Z\"\r\n");
}

}  // namespace
}  // namespace aicc::util
