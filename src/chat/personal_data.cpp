// Hand-written scanners rather than std::regex: libstdc++'s regex recurses per character (a long
// text can exhaust the stack) and cannot say "a calendar date" or "passes Luhn"; these look at each
// byte a bounded number of times.
#include "chat/personal_data.hpp"

#include <algorithm>
#include <array>

namespace aicc::chat {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_white_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_group_separator(char c) { return c == '-' || c == ' ' || c == '.'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_email_local(char c) {
  return is_letter(c) || is_digit(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool is_email_domain(char c) { return is_letter(c) || is_digit(c) || c == '.' || c == '-'; }

// A run of digit groups: "010-1234-5678" is three groups joined by '-'.
struct Group {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t size() const { return end - begin; }
};

class Run {
 public:
  Run(std::string_view text, std::vector<Group> groups) : text_(text), groups_(std::move(groups)) {}
  std::size_t count() const { return groups_.size(); }
  const Group& group(std::size_t i) const { return groups_[i]; }
  char separator_before(std::size_t i) const { return text_[groups_[i].begin - 1]; }
  std::string_view digits(std::size_t i) const {
    return text_.substr(groups_[i].begin, groups_[i].size());
  }
  // The digits of groups first..last, concatenated (at most `cap` of them; more: empty).
  std::string joined(std::size_t first, std::size_t last, std::size_t cap) const {
    std::string out;
    for (std::size_t i = first; i <= last; ++i) {
      if (out.size() + groups_[i].size() > cap) return {};
      out += digits(i);
    }
    return out;
  }

 private:
  std::string_view text_;
  std::vector<Group> groups_;
};

int two_digits(std::string_view digits, std::size_t at) {
  return (digits[at] - '0') * 10 + (digits[at + 1] - '0');
}

// YYMMDD as a calendar date; the century is unknown, so 29 February is always allowed.
bool is_birth_date(std::string_view six) {
  static constexpr std::array<int, 12> kDays{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int month = two_digits(six, 2);
  const int day = two_digits(six, 4);
  return month >= 1 && month <= 12 && day >= 1 && day <= kDays[static_cast<std::size_t>(month - 1)];
}

bool is_resident_number(std::string_view thirteen) {
  // 1-4: Koreans born 1900-2099, 5-8: foreigners' registration numbers (the same format).
  return is_birth_date(thirteen.substr(0, 6)) && thirteen[6] >= '1' && thirteen[6] <= '8';
}

bool passes_luhn(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

// Groups of `run` from `first` that hold a resident registration number: 0 when none.
std::size_t match_resident_number(const Run& run, std::size_t first) {
  if (run.group(first).size() == 13 && is_resident_number(run.digits(first))) return 1;
  if (first + 1 < run.count() && run.group(first).size() == 6 && run.group(first + 1).size() == 7 &&
      run.separator_before(first + 1) != '.') {
    const std::string joined = run.joined(first, first + 1, 13);
    if (is_resident_number(joined)) return 2;
  }
  return 0;
}

std::size_t match_card_number(const Run& run, std::size_t first) {
  constexpr std::size_t kMin = 13;
  constexpr std::size_t kMax = 19;
  const std::size_t size = run.group(first).size();
  if (size >= kMin && size <= kMax) return passes_luhn(run.digits(first)) ? 1 : 0;
  // Printed in groups of 3-6 digits (4-4-4-4, 4-6-5, 4-4-4-4-3), never with '.'.
  std::size_t best = 0;
  std::size_t total = 0;
  for (std::size_t last = first; last < run.count(); ++last) {
    const std::size_t group = run.group(last).size();
    if (group < 3 || group > 6) break;
    if (last > first && run.separator_before(last) == '.') break;
    total += group;
    if (total > kMax) break;
    if (total >= kMin && passes_luhn(run.joined(first, last, kMax))) best = last - first + 1;
  }
  return best;
}

bool has_prefix(std::string_view digits, std::string_view prefix) {
  return digits.substr(0, prefix.size()) == prefix;
}

// The length of the Korean dialling prefix `digits` starts with (01X mobile, 02 Seoul, 0XY
// areas, 070 internet, 050X safe numbers), or 0.
std::size_t korean_prefix(std::string_view digits) {
  if (digits.size() < 2 || digits[0] != '0') return 0;
  if (digits[1] == '2') return 2;
  if (digits.size() < 3) return 0;
  if (digits[1] == '1' && std::string_view("016789").find(digits[2]) != std::string_view::npos)
    return 3;
  if (digits[1] >= '3' && digits[1] <= '6' && digits[2] >= '1' && digits[2] <= '5') return 3;
  if (has_prefix(digits, "070")) return 3;
  if (has_prefix(digits, "050") && digits.size() >= 4 && digits[3] >= '2' && digits[3] <= '8')
    return 4;
  return 0;
}

std::size_t match_phone_number(const Run& run, std::size_t first, bool after_plus) {
  if (after_plus) {
    // E.164: "+82 10-1234-5678", "+1 415 555 0100": 8-15 digits in all.
    std::size_t best = 0;
    std::size_t total = 0;
    for (std::size_t last = first; last < run.count(); ++last) {
      total += run.group(last).size();
      if (total > 15) break;
      if (total >= 8) best = last - first + 1;
    }
    return best;
  }
  const std::string_view head = run.digits(first);
  // In one group: the prefix, then 7 or 8 digits.
  if (const std::size_t prefix = korean_prefix(head);
      prefix != 0 && head.size() >= prefix + 7 && head.size() <= prefix + 8) {
    return 1;
  }
  // In groups: prefix, 3-4 digits, 4 digits.
  if (first + 2 < run.count() && korean_prefix(head) == head.size()) {
    const std::size_t middle = run.group(first + 1).size();
    if ((middle == 3 || middle == 4) && run.group(first + 2).size() == 4) return 3;
  }
  return 0;
}

void find_in_run(const Run& run, bool after_plus, std::vector<PersonalDataSpan>& out) {
  std::size_t first = 0;
  while (first < run.count()) {
    std::size_t groups = 0;
    PersonalDataKind kind = PersonalDataKind::kResidentNumber;
    if ((groups = match_resident_number(run, first)) != 0) {
      kind = PersonalDataKind::kResidentNumber;
    } else if ((groups = match_card_number(run, first)) != 0) {
      kind = PersonalDataKind::kCardNumber;
    } else if ((groups = match_phone_number(run, first, after_plus && first == 0)) != 0) {
      kind = PersonalDataKind::kPhoneNumber;
    }
    if (groups == 0) {
      ++first;
      continue;
    }
    std::size_t begin = run.group(first).begin;
    if (kind == PersonalDataKind::kPhoneNumber && after_plus && first == 0) --begin;  // the '+'
    out.push_back({begin, run.group(first + groups - 1).end, kind});
    first += groups;
  }
}

// E-mail addresses, each as [begin, end).
std::vector<PersonalDataSpan> find_emails(std::string_view text) {
  std::vector<PersonalDataSpan> found;
  std::size_t resume = 0;  // no address starts before the end of the previous one
  for (std::size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    std::size_t begin = at;
    while (begin > resume && is_email_local(text[begin - 1])) --begin;
    while (begin < at && text[begin] == '.') ++begin;
    if (begin == at) continue;
    std::size_t end = at + 1;
    while (end < text.size() && is_email_domain(text[end])) ++end;
    while (end > at + 1 && (text[end - 1] == '.' || text[end - 1] == '-')) --end;
    const std::string_view domain = text.substr(at + 1, end - at - 1);
    const std::size_t dot = domain.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || domain.size() - dot - 1 < 2) continue;
    if (domain.front() == '.' || domain.front() == '-' ||
        domain.find("..") != std::string_view::npos) {
      continue;  // an empty label: no domain
    }
    const std::string_view top = domain.substr(dot + 1);
    if (!std::all_of(top.begin(), top.end(), is_letter)) continue;
    found.push_back({begin, end, PersonalDataKind::kEmail});
    resume = end;
  }
  return found;
}

void find_numbers(std::string_view text, std::size_t from, std::size_t to,
                  std::vector<PersonalDataSpan>& out) {
  std::size_t i = from;
  while (i < to) {
    if (!is_digit(text[i])) {
      ++i;
      continue;
    }
    const bool after_plus = i > from && text[i - 1] == '+';
    std::vector<Group> groups;
    std::size_t end = i;
    for (;;) {
      const std::size_t begin = end;
      while (end < to && is_digit(text[end])) ++end;
      groups.push_back({begin, end});
      if (end + 1 < to && is_group_separator(text[end]) && is_digit(text[end + 1])) {
        ++end;
        continue;
      }
      break;
    }
    find_in_run(Run(text, std::move(groups)), after_plus, out);
    i = end;
  }
}

std::string_view placeholder(PersonalDataKind kind) {
  switch (kind) {
    case PersonalDataKind::kResidentNumber:
      return "[RRN]";
    case PersonalDataKind::kCardNumber:
      return "[CARD]";
    case PersonalDataKind::kPhoneNumber:
      return "[PHONE]";
    case PersonalDataKind::kEmail:
      return "[EMAIL]";
  }
  return "[PERSONAL]";
}

}  // namespace

std::vector<PersonalDataSpan> find_personal_data(std::string_view text) {
  std::vector<PersonalDataSpan> found;
  // Numbers are looked for between the addresses, so "01012345678@example.com" is one address.
  std::size_t from = 0;
  for (const PersonalDataSpan& email : find_emails(text)) {
    find_numbers(text, from, email.begin, found);
    found.push_back(email);
    from = email.end;
  }
  find_numbers(text, from, text.size(), found);
  return found;
}

std::size_t mask_identifiers(std::string& text) {
  std::size_t masked = 0;
  for (const PersonalDataSpan& span : find_personal_data(text)) {
    if (span.kind != PersonalDataKind::kResidentNumber &&
        span.kind != PersonalDataKind::kCardNumber) {
      continue;
    }
    // Same length, separators kept, every digit masked: a card's last four digits kept would be
    // digits that a later pass could join to the next number and mask again.
    for (std::size_t i = span.begin; i < span.end; ++i) {
      if (is_digit(text[i])) text[i] = '*';
    }
    ++masked;
  }
  return masked;
}

std::string redact_for_bot(std::string_view text) {
  // A placeholder may end what follows it differently ("x@a.b[PHONE]" is an address once the
  // phone number is gone), so the text is looked at again until nothing more is found; each pass
  // removes digits or an '@', so few are ever needed, and the last is bounded anyway.
  constexpr int kMaxPasses = 4;
  std::string out(text);
  for (int pass = 0; pass < kMaxPasses; ++pass) {
    const auto spans = find_personal_data(out);
    if (spans.empty()) break;
    std::string next;
    next.reserve(out.size());
    std::size_t from = 0;
    for (const PersonalDataSpan& span : spans) {
      next.append(out, from, span.begin - from);
      next += placeholder(span.kind);
      from = span.end;
    }
    next.append(out, from);
    out = std::move(next);
  }
  return placeholders_for_masked(out);
}

std::size_t settled_prefix(std::string_view text) {
  const auto joins = [](char c) { return is_digit(c) || is_group_separator(c) || c == '+'; };
  // The trailing run of digits and what joins them (separators, a phone number's '+'), and the
  // word it is glued to: what comes next may make them a number to mask, or (with an '@') an
  // address the scanners read a number in differently.
  std::size_t cut = text.size();
  bool open = false;
  while (cut > 0 && joins(text[cut - 1])) {
    open = open || is_digit(text[cut - 1]);
    --cut;
  }
  while (cut > 0 && !is_white_space(text[cut - 1])) {
    open = open || text[cut - 1] == '@';
    --cut;
  }
  if (!open) return text.size();
  // Back to white space that no number goes across (a space between digits may join two groups
  // of one).
  while (cut >= 2 && text[cut - 1] == ' ' && joins(text[cut - 2])) {
    --cut;
    while (cut > 0 && joins(text[cut - 1])) --cut;
    while (cut > 0 && !is_white_space(text[cut - 1])) --cut;
  }
  return cut;
}

std::string placeholders_for_masked(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] != '*' || (pos > 0 && text[pos - 1] == '*')) {
      out += text[pos++];
      continue;
    }
    // Groups of asterisks joined by one separator each.
    std::vector<std::size_t> groups;
    std::size_t end = pos;
    while (true) {
      std::size_t run = end;
      while (run < text.size() && text[run] == '*') ++run;
      groups.push_back(run - end);
      end = run;
      if (end + 1 < text.size() && is_group_separator(text[end]) && text[end + 1] == '*') {
        ++end;
        continue;
      }
      break;
    }
    std::size_t stars = 0;
    for (const std::size_t group : groups) stars += group;
    if (groups.size() == 2 && groups[0] == 6 && groups[1] == 7) {
      out += "[RRN]";
    } else if (stars >= 13 && stars <= 19) {
      out += "[CARD]";
    } else {
      out.append(text.substr(pos, end - pos));
    }
    pos = end;
  }
  return out;
}

}  // namespace aicc::chat
