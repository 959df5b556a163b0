// CSV rows as RFC 4180 has them, for exports opened in spreadsheets: every cell quoted, quotes
// doubled, and a cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR first)
// prefixed with an apostrophe, so chat text can never become a formula on a supervisor's machine.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace aicc::util {

// Appends one row and its CRLF to `out`.
void append_csv_row(std::string& out, std::initializer_list<std::string_view> cells);

}  // namespace aicc::util
