// Files in a chat: what a message carries, what an upload may be, and how a file is named when it
// is served. Pure: no I/O (the store keeps the bytes, the center checks who may read them).
//
// An upload is taken only when its first bytes say it is one of the allowed kinds (the name and
// the declared Content-Type are never trusted): PNG, JPEG, GIF and WebP pictures, PDF documents,
// and plain UTF-8 text. Everything else (HTML, SVG, scripts, archives, executables, office files
// with macros) is refused, so a file from one party can never run in the other's browser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aicc::chat {

inline constexpr std::size_t kMaxAttachmentsPerMessage = 5;
inline constexpr std::size_t kMaxAttachmentNameBytes = 120;

// An attachment as a message carries it (and the wire shows it).
struct AttachmentRef {
  std::string id{};            // server-made ("f_..."), unique
  std::string name{};          // safe_file_name(): shown, and offered when saving
  std::string content_type{};  // one of the allowed kinds, from the bytes
  std::int64_t size = 0;       // bytes
};

// A stored upload: who sent it into which room, and what it is.
struct AttachmentRecord {
  AttachmentRef file{};
  std::string room_id{};        // the room it was uploaded to (only its messages may carry it)
  std::string uploader_id{};    // only the uploader may attach it to a message
  std::string sha256{};         // hex, of the bytes, for integrity checks and audits
  std::int64_t created_at = 0;  // unix ms
};

// The allowed kind `bytes` are, from their content; nullopt when they are none of them (or empty).
std::optional<std::string_view> sniff_content_type(std::string_view bytes);

// Whether the kind is a picture the pages may show as a preview.
bool is_image(std::string_view content_type);

// The name a file is shown and saved under: the last path segment of what the sender called it,
// without control characters, quotes, slashes or backslashes, at most kMaxAttachmentNameBytes of
// valid UTF-8, ending with the extension of its real kind ("invoice.pdf.exe" of a PDF becomes
// "invoice.pdf.exe.pdf"); "file" when nothing usable is left.
std::string safe_file_name(std::string_view given, std::string_view content_type);

// The message column's text for a message's attachments (one line per file, its fields separated
// by tabs; names from safe_file_name never hold either) and back. decode skips malformed lines.
std::string encode_attachments(const std::vector<AttachmentRef>& files);
std::vector<AttachmentRef> decode_attachments(std::string_view text);

}  // namespace aicc::chat
