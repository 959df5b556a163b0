#include "chat/attachments.hpp"

#include <array>
#include <charconv>

#include "util/utf8.hpp"

namespace aicc::chat {
namespace {

struct Kind {
  std::string_view content_type;
  std::string_view extension;
};

constexpr std::array kKinds = {
    Kind{"image/png", ".png"},   Kind{"image/jpeg", ".jpg"},      Kind{"image/gif", ".gif"},
    Kind{"image/webp", ".webp"}, Kind{"application/pdf", ".pdf"}, Kind{"text/plain", ".txt"},
};

bool starts_with(std::string_view bytes, std::string_view magic) {
  return bytes.substr(0, magic.size()) == magic;
}

// Plain text: valid UTF-8 with no control character but tab, line feed, carriage return and form
// feed. A text file that happens to be HTML or SVG is still served as text/plain, never rendered.
bool is_plain_text(std::string_view bytes) {
  if (!util::is_valid_utf8(bytes)) return false;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || u == 0x7f) return false;
  }
  return true;
}

std::string_view extension_of(std::string_view content_type) {
  for (const Kind& kind : kKinds) {
    if (kind.content_type == content_type) return kind.extension;
  }
  return "";
}

bool ends_with_ignoring_case(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    char c = text[text.size() - suffix.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string_view> sniff_content_type(std::string_view bytes) {
  if (bytes.empty()) return std::nullopt;
  if (starts_with(bytes, "\x89PNG\r\n\x1a\n")) return "image/png";
  if (starts_with(bytes, "\xff\xd8\xff")) return "image/jpeg";
  if (starts_with(bytes, "GIF87a") || starts_with(bytes, "GIF89a")) return "image/gif";
  if (bytes.size() >= 12 && starts_with(bytes, "RIFF") && bytes.substr(8, 4) == "WEBP")
    return "image/webp";
  if (starts_with(bytes, "%PDF-")) return "application/pdf";
  if (is_plain_text(bytes)) return "text/plain";
  return std::nullopt;
}

bool is_image(std::string_view content_type) { return content_type.starts_with("image/"); }

std::string safe_file_name(std::string_view given, std::string_view content_type) {
  // The last segment of a path, whichever separator the sender's system uses.
  if (const std::size_t slash = given.find_last_of("/\\"); slash != std::string_view::npos)
    given.remove_prefix(slash + 1);
  std::string name;
  for (std::size_t pos = 0; pos < given.size();) {
    const std::size_t start = pos;
    const char32_t cp = util::next_code_point(given, pos);
    const bool unwanted = cp < 0x20 || cp == 0x7f || cp == '"' || cp == '\'' || cp == '`' ||
                          cp == util::kReplacementCharacter || (cp >= 0x80 && cp < 0xa0) ||
                          cp == 0x2028 || cp == 0x2029 || cp == 0x202e || cp == 0x202d;
    if (unwanted) continue;
    if (name.size() + (pos - start) > kMaxAttachmentNameBytes - 8) break;  // room for ".webp"
    name.append(given.substr(start, pos - start));
  }
  // Leading dots would hide the file on some systems; blanks at either end are noise.
  while (!name.empty() && (name.front() == '.' || name.front() == ' ')) name.erase(0, 1);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  if (name.empty()) name = "file";
  const std::string_view extension = extension_of(content_type);
  const bool jpeg_alias = content_type == "image/jpeg" && ends_with_ignoring_case(name, ".jpeg");
  if (!extension.empty() && !ends_with_ignoring_case(name, extension) && !jpeg_alias)
    name.append(extension);
  return name;
}

std::string encode_attachments(const std::vector<AttachmentRef>& files) {
  std::string text;
  for (const AttachmentRef& file : files) {
    text.append(file.id).append("\t").append(file.content_type).append("\t");
    text.append(std::to_string(file.size)).append("\t").append(file.name).append("\n");
  }
  return text;
}

std::vector<AttachmentRef> decode_attachments(std::string_view text) {
  std::vector<AttachmentRef> files;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    std::array<std::string_view, 4> fields;
    std::size_t count = 0;
    while (count < 3) {
      const std::size_t tab = line.find('\t');
      if (tab == std::string_view::npos) break;
      fields[count++] = line.substr(0, tab);
      line.remove_prefix(tab + 1);
    }
    if (count != 3) continue;
    fields[3] = line;
    AttachmentRef file{.id = std::string(fields[0]), .content_type = std::string(fields[1])};
    const auto [ptr, error] =
        std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), file.size);
    if (error != std::errc{} || ptr != fields[2].data() + fields[2].size() || file.id.empty())
      continue;
    file.name = std::string(fields[3]);
    files.push_back(std::move(file));
  }
  return files;
}

}  // namespace aicc::chat
