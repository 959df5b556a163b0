#include "chat/attachments.hpp"

#include <gtest/gtest.h>

namespace aicc::chat {
namespace {

using namespace std::string_literals;

TEST(SniffContentType, KnowsTheAllowedKindsByTheirBytes) {
  EXPECT_EQ(sniff_content_type("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"s), "image/png");
  EXPECT_EQ(sniff_content_type("\xff\xd8\xff\xe0\0\x10JFIF"s), "image/jpeg");
  EXPECT_EQ(sniff_content_type("GIF89a\x01\0\x01\0"s), "image/gif");
  EXPECT_EQ(sniff_content_type("GIF87a"), "image/gif");
  EXPECT_EQ(sniff_content_type("RIFF\x10\0\0\0WEBPVP8 "s), "image/webp");
  EXPECT_EQ(sniff_content_type("%PDF-1.7\n%\xe2\xe3\xcf\xd3"), "application/pdf");
  EXPECT_EQ(sniff_content_type("주문번호 1234\r\n\t배송 문의\n"), "text/plain");
}

// What could run in a browser, or is not what it says, is refused whatever its name would say.
TEST(SniffContentType, RefusesEverythingElse) {
  EXPECT_FALSE(sniff_content_type(""));
  EXPECT_FALSE(sniff_content_type("MZ\x90\0\x03\0\0\0"s));  // a Windows program
  EXPECT_FALSE(
      sniff_content_type("\x7f"
                         "ELF\x02\x01\x01"s));                   // a Linux program
  EXPECT_FALSE(sniff_content_type("PK\x03\x04\x14\0\x06\0"s));   // zip, docx, xlsm
  EXPECT_FALSE(sniff_content_type("RIFF\x10\0\0\0WAVEfmt "s));   // not WebP
  EXPECT_FALSE(sniff_content_type("\x89PNX\r\n\x1a\n"));         // almost PNG
  EXPECT_FALSE(sniff_content_type("text with a NUL\0inside"s));  // binary
  EXPECT_FALSE(sniff_content_type("\xc3\x28 invalid UTF-8"));
  EXPECT_FALSE(sniff_content_type("escape \x1b[31m red"));
  // Markup is text: kept as text/plain, which is never rendered (nosniff, attachment).
  EXPECT_EQ(sniff_content_type("<svg onload=alert(1)>"), "text/plain");
}

TEST(SafeFileName, KeepsTheLastSegmentWithoutWhatCouldMisleadOrBreak) {
  EXPECT_EQ(safe_file_name("영수증.png", "image/png"), "영수증.png");
  EXPECT_EQ(safe_file_name("C:\\Users\\kim\\receipt.PDF", "application/pdf"), "receipt.PDF");
  EXPECT_EQ(safe_file_name("../../etc/passwd", "text/plain"), "passwd.txt");
  EXPECT_EQ(safe_file_name("invoice.pdf.exe", "application/pdf"), "invoice.pdf.exe.pdf");
  EXPECT_EQ(safe_file_name("photo.jpeg", "image/jpeg"), "photo.jpeg");
  EXPECT_EQ(safe_file_name("photo", "image/jpeg"), "photo.jpg");
  EXPECT_EQ(safe_file_name("a\"b'c\td\ne\r.txt", "text/plain"), "abcde.txt");
  EXPECT_EQ(safe_file_name("gpj.exe\u202e.txt", "text/plain"),
            "gpj.exe.txt");  // no right-to-left tricks
  EXPECT_EQ(safe_file_name(".hidden", "text/plain"), "hidden.txt");
  EXPECT_EQ(safe_file_name("", "image/png"), "file.png");
  EXPECT_EQ(safe_file_name("///", "image/gif"), "file.gif");
  EXPECT_EQ(safe_file_name("\xff\xfe", "image/gif"), "file.gif");
  const std::string long_name = safe_file_name(std::string(500, 'x') + ".png", "image/png");
  EXPECT_LE(long_name.size(), kMaxAttachmentNameBytes);
  EXPECT_TRUE(long_name.ends_with(".png"));
  // Cut on a character, never inside one.
  std::string korean;
  for (int i = 0; i < 100; ++i) korean += "가";
  const std::string cut = safe_file_name(korean, "text/plain");
  EXPECT_LE(cut.size(), kMaxAttachmentNameBytes);
  EXPECT_EQ((cut.size() - 4) % 3, 0u);
}

TEST(AttachmentColumn, RoundTripsAndSkipsMalformedLines) {
  const std::vector<AttachmentRef> files = {{"f_1", "영수증.png", "image/png", 2048},
                                            {"f_2", "report.pdf", "application/pdf", 1}};
  const auto back = decode_attachments(encode_attachments(files));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].id, "f_1");
  EXPECT_EQ(back[0].name, "영수증.png");
  EXPECT_EQ(back[0].content_type, "image/png");
  EXPECT_EQ(back[0].size, 2048);
  EXPECT_EQ(back[1].name, "report.pdf");
  EXPECT_TRUE(decode_attachments("").empty());
  EXPECT_TRUE(encode_attachments({}).empty());
  const auto some = decode_attachments(
      "garbage\nf_3\ttext/plain\tx\tn\n\ttext/plain\t1\tn\nf_4\ttext/plain\t3\ta.txt");
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(some[0].id, "f_4");
}

}  // namespace
}  // namespace aicc::chat
