#include "chat/personal_data.hpp"

#include <gtest/gtest.h>

#include <string>

namespace aicc::chat {
namespace {

std::string masked(std::string text) {
  mask_identifiers(text);
  return text;
}

TEST(PersonalData, MasksResidentRegistrationNumbersInEveryWayTheyAreTyped) {
  EXPECT_EQ(masked("900101-1234567"), "******-*******");
  EXPECT_EQ(masked("9001011234567"), "*************");
  EXPECT_EQ(masked("my number is 900101 2234567, thanks"), "my number is ****** *******, thanks");
  // Korean is often typed without spaces around numbers.
  EXPECT_EQ(masked("주민번호900101-1234567입니다"), "주민번호******-*******입니다");
  // Issued since October 2020: random last digits, no checksum to reject them.
  EXPECT_EQ(masked("200315-3987650"), "******-*******");
  // Foreigners' registration numbers have the same shape (5-8).
  EXPECT_EQ(masked("850704-5123456"), "******-*******");
}

TEST(PersonalData, LeavesNumbersThatAreNoResidentNumberAlone) {
  EXPECT_EQ(masked("901301-1234567"), "901301-1234567");    // month 13
  EXPECT_EQ(masked("900230-1234567"), "900230-1234567");    // 30 February
  EXPECT_EQ(masked("900101-9234567"), "900101-9234567");    // no such seventh digit
  EXPECT_EQ(masked("1900101-1234567"), "1900101-1234567");  // glued to another digit
  EXPECT_EQ(masked("900101-12345678"), "900101-12345678");
  EXPECT_EQ(masked("order 2024.01.05 paid"), "order 2024.01.05 paid");
}

TEST(PersonalData, MasksCardNumbersThatPassLuhn) {
  EXPECT_EQ(masked("4111 1111 1111 1111"), "**** **** **** ****");
  EXPECT_EQ(masked("card 4111-1111-1111-1111 expires 12/29"),
            "card ****-****-****-**** expires 12/29");
  EXPECT_EQ(masked("카드4111111111111111로 결제"), "카드****************로 결제");
  EXPECT_EQ(masked("amex 3782 822463 10005"), "amex **** ****** *****");
  EXPECT_EQ(masked("5555555555554444."), "****************.");
  // Preceded by another group of the same run: the card is the part that passes.
  EXPECT_EQ(masked("no. 12 4111 1111 1111 1111"), "no. 12 **** **** **** ****");
}

TEST(PersonalData, LeavesNumbersThatAreNoCardAlone) {
  EXPECT_EQ(masked("4111 1111 1111 1112"), "4111 1111 1111 1112");    // Luhn fails
  EXPECT_EQ(masked("41111111111111111111"), "41111111111111111111");  // 20 digits
  EXPECT_EQ(masked("tracking 1 2 3 4 5 6 7 8 9 1 2 3 0"), "tracking 1 2 3 4 5 6 7 8 9 1 2 3 0");
  EXPECT_EQ(masked("4111.1111.1111.1111"), "4111.1111.1111.1111");  // not how cards are written
}

TEST(PersonalData, MaskingLeavesPhonesAndAddressesForTheAgent) {
  EXPECT_EQ(masked("call 010-1234-5678 or kim@example.com"),
            "call 010-1234-5678 or kim@example.com");
  std::string text = "nothing here";
  EXPECT_EQ(mask_identifiers(text), 0u);
  text = "900101-1234567 and 4111111111111111";
  EXPECT_EQ(mask_identifiers(text), 2u);
}

TEST(PersonalData, TheBotGetsTypedPlaceholdersForEachKind) {
  EXPECT_EQ(redact_for_bot("010-1234-5678"), "[PHONE]");
  EXPECT_EQ(redact_for_bot("전화 01012345678 주세요"), "전화 [PHONE] 주세요");
  EXPECT_EQ(redact_for_bot("02-123-4567, 031 1234 5678, 070-1234-5678, 0505-123-4567"),
            "[PHONE], [PHONE], [PHONE], [PHONE]");
  EXPECT_EQ(redact_for_bot("010.1234.5678"), "[PHONE]");
  EXPECT_EQ(redact_for_bot("+82 10-1234-5678 or +1 415 555 0100"), "[PHONE] or [PHONE]");
  EXPECT_EQ(redact_for_bot("mail kim.minsu+aicc@example.co.kr."), "mail [EMAIL].");
  EXPECT_EQ(redact_for_bot("01012345678@example.com"), "[EMAIL]");
  EXPECT_EQ(redact_for_bot("900101-1234567 4111 1111 1111 1111"), "[RRN] [CARD]");
  EXPECT_EQ(redact_for_bot("환불해 주세요"), "환불해 주세요");
}

TEST(PersonalData, TheBotKeepsWhatIsNoPersonalData) {
  EXPECT_EQ(redact_for_bot("1588-1234"), "1588-1234");  // a company's number
  EXPECT_EQ(redact_for_bot("order 12345678 on 2024-01-05"), "order 12345678 on 2024-01-05");
  EXPECT_EQ(redact_for_bot("a@b, @example.com, x@y.c0m, x@localhost"),
            "a@b, @example.com, x@y.c0m, x@localhost");
  EXPECT_EQ(redact_for_bot("3.14159 and 10,000 won"), "3.14159 and 10,000 won");
}

TEST(PersonalData, FindsSpansInOrderWithoutOverlap) {
  const std::string text = "kim@example.com 010-1234-5678 900101-1234567";
  const auto spans = find_personal_data(text);
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0].kind, PersonalDataKind::kEmail);
  EXPECT_EQ(spans[1].kind, PersonalDataKind::kPhoneNumber);
  EXPECT_EQ(spans[2].kind, PersonalDataKind::kResidentNumber);
  for (std::size_t i = 0; i < spans.size(); ++i) {
    EXPECT_LT(spans[i].begin, spans[i].end);
    if (i > 0) EXPECT_LE(spans[i - 1].end, spans[i].begin);
  }
}

TEST(PersonalData, MaskingTwiceMasksNothingMore) {
  // A masked card leaves no digit that could join the next number.
  const std::string once = masked("car 9111 10114-253672 010-1214-5679");
  EXPECT_EQ(masked(once), once);
  const std::string joined = masked("+4 90900102311-4572 010-1234-5114-253672 010-1224-5679");
  EXPECT_EQ(masked(joined), joined);
  const std::string cards = masked("4111 1111 1111 1111 5555 5555 5555 4444");
  EXPECT_EQ(masked(cards), cards);
}

TEST(PersonalData, RedactingTwiceFindsNothingMore) {
  // The phone number's placeholder ends the address before it: found in the same call.
  const std::string text = "mail kim@example.com010-1234-5678 now";
  const std::string once = redact_for_bot(text);
  EXPECT_EQ(redact_for_bot(once), once);
  EXPECT_EQ(redact_for_bot("a@example..com"), "a@example..com");
}

TEST(PersonalData, HostileTextsPassThroughWhole) {
  // Long runs of every shape the scanners look at: the result keeps the text's length where it
  // masks, and nothing is lost where nothing matches.
  const std::string digits(1 << 20, '7');
  EXPECT_EQ(masked(digits), digits);
  std::string groups;
  for (int i = 0; i < 100000; ++i) groups += "1 ";
  EXPECT_EQ(redact_for_bot(groups), groups);
  std::string ats(1 << 18, '@');
  EXPECT_EQ(redact_for_bot(ats), ats);
  std::string locals;
  for (int i = 0; i < 50000; ++i) locals += "a@";
  EXPECT_EQ(redact_for_bot(locals), locals);
  std::string cards;
  for (int i = 0; i < 50000; ++i) cards += "1234 ";
  const std::string masked_cards = masked(cards);
  EXPECT_EQ(masked_cards.size(), cards.size());
  const std::string invalid_utf8 = "\xff\xfe 900101-1234567 \xc3";
  EXPECT_EQ(masked(invalid_utf8), "\xff\xfe ******-******* \xc3");
  EXPECT_EQ(redact_for_bot(""), "");
  EXPECT_EQ(masked("+"), "+");
  EXPECT_EQ(masked("-1-"), "-1-");
}

TEST(PersonalData, AGrowingTextHoldsBackADigitRunThatMayBecomeANumber) {
  // The separators before the digits go with them (a space may join a number's groups), and so
  // does the word they are glued to (a '+', an address's local part).
  EXPECT_EQ(settled_prefix("결제 카드 4111 1111 "), std::string("결제 ").size());
  EXPECT_EQ(settled_prefix("Hello there, total: 12"), std::string("Hello there, ").size());
  EXPECT_EQ(settled_prefix("please call +82 10"), std::string("please ").size());
  // A space between digits may join groups: the words before it wait too.
  EXPECT_EQ(settled_prefix("no. 5 67, 4111"), 0u);
  EXPECT_EQ(settled_prefix("write to kim.41"), std::string("write to ").size());
  EXPECT_EQ(settled_prefix("no digits at the end. "), std::string("no digits at the end. ").size());
  EXPECT_EQ(settled_prefix("step 3; "), std::string("step 3; ").size());
  EXPECT_EQ(settled_prefix("1234"), 0u);
  EXPECT_EQ(settled_prefix(""), 0u);
  // What is settled, masked as the text so far is, piece by piece, is what the whole text masked
  // gives, and no piece shows the card's digits.
  std::string whole = "카드 4111 1111 1111 1111 로 결제";
  std::string pieces;
  std::size_t sent = 0;
  for (const std::size_t end : {std::size_t{12}, std::size_t{20}, whole.size()}) {
    std::string so_far = whole.substr(0, end);
    const std::size_t cut = end == whole.size() ? end : settled_prefix(so_far);
    mask_identifiers(so_far);
    if (cut <= sent) continue;
    const std::string piece = so_far.substr(sent, cut - sent);
    EXPECT_EQ(piece.find("1111"), std::string::npos) << piece;
    pieces += piece;
    sent = cut;
  }
  mask_identifiers(whole);
  EXPECT_EQ(pieces, whole);
  EXPECT_EQ(pieces.find("4111"), std::string::npos);
}

TEST(PersonalData, MaskedNumbersBecomeTheBotsPlaceholders) {
  std::string text = "주민번호 900101-1234568, 카드 4111 1111 1111 1111, 4111111111111111";
  mask_identifiers(text);
  EXPECT_EQ(placeholders_for_masked(text), "주민번호 [RRN], 카드 [CARD], [CARD]");
  EXPECT_EQ(redact_for_bot(text), "주민번호 [RRN], 카드 [CARD], [CARD]");
  // Asterisks a person typed stay as they are.
  EXPECT_EQ(placeholders_for_masked("*** great ***** *"), "*** great ***** *");
  EXPECT_EQ(placeholders_for_masked(std::string(40, '*')), std::string(40, '*'));
}

}  // namespace
}  // namespace aicc::chat
