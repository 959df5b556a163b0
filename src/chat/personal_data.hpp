// Personal data in chat texts: found, then masked where it is kept or shown, or replaced by a typed
// placeholder where it leaves the server for the bot.
//
// Korea's PIPA (article 24-2) forbids keeping resident registration numbers without a legal
// ground, and card numbers are payment data: both are masked as a message arrives, before it is
// stored, published or logged (`mask_identifiers`). Phone numbers and e-mail addresses stay in
// what agents see (they need them to call back), but the external bot gets `[PHONE]` and
// `[EMAIL]` in their place, and `[RRN]` and `[CARD]` for the two above when an operator turned the
// masking off (`redact_for_bot`).
//
// What is found (ASCII digits; a number is a run of digit groups joined by one `-`, space or `.`,
// never glued to another digit, but possibly to letters, as Korean is often typed):
// - resident (and foreign) registration numbers: YYMMDD, then the 7 digits whose first is 1-8,
//   joined by `-`, a space or nothing; the date must be a calendar date. The last digits carry no
//   checksum since October 2020, so none is required;
// - card numbers: 13-19 digits, in one group or in groups, that pass the Luhn check;
// - phone numbers (for the bot only): Korean mobiles (01X), area and internet numbers (02, 0XY,
//   070, 050X), with or without separators, `+82` forms, and any `+` number of 8-15 digits;
// - e-mail addresses (for the bot only): local@domain with a dot in the domain.
//
// Pure and linear in the text (each byte is looked at a bounded number of times); invalid UTF-8
// passes through untouched.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace aicc::chat {

enum class PersonalDataKind { kResidentNumber, kCardNumber, kPhoneNumber, kEmail };

struct PersonalDataSpan {
  std::size_t begin = 0;
  std::size_t end = 0;  // one past the last byte
  PersonalDataKind kind = PersonalDataKind::kResidentNumber;
};

// Every span of `text` holding personal data, in order, none overlapping.
std::vector<PersonalDataSpan> find_personal_data(std::string_view text);

// Resident registration numbers become `******-*******` and card numbers `****-****-****-****`
// (separators kept, every digit masked, so masking again changes nothing); everything else is
// unchanged. Returns how many were masked.
std::size_t mask_identifiers(std::string& text);

// The text as the bot may see it: `[RRN]`, `[CARD]`, `[PHONE]` and `[EMAIL]` in place of each.
std::string redact_for_bot(std::string_view text);

// A text that is still growing (a streamed bot answer) may show all of itself but a trailing run
// of digits and separators, with the words glued to it, which what comes next could make a
// number to mask: the length of the part that is settled. Shown masked as the whole text so far
// is, the settled part never shows a digit that the finished text masks.
std::size_t settled_prefix(std::string_view text);

// What mask_identifiers left ("******-*******", "****-****-****-****": 13 to 19 asterisks in
// groups) as the placeholders the bot gets, `[RRN]` (groups of 6 and 7) or `[CARD]`: for texts
// the bot is shown after they were stored masked. redact_for_bot does this too.
std::string placeholders_for_masked(std::string_view text);

}  // namespace aicc::chat
