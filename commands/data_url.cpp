// png-to-data-url, svg-to-data-url: a file as a base64 data URL, read in
// fixed-size chunks and streamed, so any size runs in constant memory.
// img-to-url: the same for a file picked through the prompt layer.

#include <cerrno>
#include <cstring>
#include <memory>

#include "unit/args.h"
#include "json/base64.h"
#include "unit/command.h"
#include "store/paths.h"
#include "platform/fs.h"
#include "platform/process.h"
#include "prompt/prompt.h"

namespace hvym::commands {
namespace {

constexpr size_t kChunk = 3 * 65536;

struct File {
  int fd = -1;
  ~File() {
    if (fd >= 0) close_fd(fd);
  }
};

// Streams the file's bytes (after `skip` of its first chunk says how many
// to leave out) as base64 after the prefix.
int stream(Call& call, const std::string& path, const char* prefix,
           size_t (*skip)(std::string_view first)) {
  std::string error;
  File f{open_regular_file(path, error)};
  if (f.fd < 0) return failure(call, error);
  std::unique_ptr<unsigned char[]> buf(new unsigned char[kChunk]);
  call.out.write(prefix);
  Base64Stream b64(call.out);
  bool first = true;
  while (true) {
    long long n = fs::read_some(f.fd, buf.get(), kChunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failure(call, "cannot read " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    size_t from = 0;
    if (first && skip) from = skip({reinterpret_cast<char*>(buf.get()), static_cast<size_t>(n)});
    first = false;
    b64.write(buf.get() + from, static_cast<size_t>(n) - from);
    if (call.out.failed()) return kFailed;  // nobody reads it (a closed pipe, a full batch)
  }
  b64.finish();
  call.out.put('\n');
  return kOk;
}

// A byte-order mark, white space, an XML declaration and the white space
// after it: what comes before the SVG's first element.
size_t xml_declaration(std::string_view s) {
  size_t i = s.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  if (s.substr(i, 5) != "<?xml") return 0;
  size_t end = s.find("?>", i);
  if (end == std::string_view::npos) return 0;
  i = end + 2;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  return i;
}

constexpr const char* kPng = "data:image/png;base64,";
constexpr const char* kSvg = "data:image/svg+xml;base64,";

constexpr Param kPngParams[] = {{Kind::Argument, Type::String, "pngfile", nullptr, "a PNG file", false}};
constexpr Param kSvgParams[] = {{Kind::Argument, Type::String, "svgfile", nullptr, "an SVG file", false}};
constexpr Param kImgParams[] = {argument("msg", Type::String, "the message of the file picker")};

int png(Call& call) { return stream(call, std::string(call[param(kPngParams, "pngfile")].text), kPng, nullptr); }
int svg(Call& call) {
  return stream(call, std::string(call[param(kSvgParams, "svgfile")].text), kSvg, xml_declaration);
}

constexpr std::string_view kImagePatterns[] = {"*.png", "*.svg"};

int img(Call& call) {
  Answer a = ask(call, {.kind = Ask::File,
                        .what = "an image file",
                        .message = call[param(kImgParams, "msg")].text,
                        .patterns = kImagePatterns,
                        .filter_name = "Images"});
  // Cancel: an empty line and exit 0, as the original answered it (its
  // callers take stdout as the data URL, and stderr as data on a failure).
  if (a.outcome == Outcome::Cancelled) return call.out.line(""), kOk;
  if (a.outcome != Outcome::Answered) return unanswered(call, a);
  // The prompt layer checked the name ends in .png or .svg, in any case:
  // the letter after the dot tells which.
  bool is_png = (a.text[a.text.size() - 3] | 0x20) == 'p';
  return is_png ? stream(call, a.text, kPng, nullptr) : stream(call, a.text, kSvg, xml_declaration);
}

}  // namespace

extern constinit const Command img_to_url{
    .name = "img-to-url",
    .group = Group::Assets,
    .summary = "Pick a .png or .svg file and print it as a data URL.",
    .help = "Ask for a .png or .svg file (a file picker, or a path on a terminal) and print it "
            "as a data URL, as png-to-data-url or svg-to-data-url would.",
    .params = kImgParams,
    .needs = kMayPrompt,
    .run = img,
};

extern constinit const Command png_to_data_url{
    .name = "png-to-data-url",
    .group = Group::Assets,
    .summary = "Print a PNG file as a data:image/png;base64 URL.",
    .help = nullptr,
    .params = kPngParams,
    .needs = kNeedsNothing,
    .run = png,
};

extern constinit const Command svg_to_data_url{
    .name = "svg-to-data-url",
    .group = Group::Assets,
    .summary = "Print an SVG file as a data:image/svg+xml;base64 URL (XML declaration dropped).",
    .help = nullptr,
    .params = kSvgParams,
    .needs = kNeedsNothing,
    .run = svg,
};

}  // namespace hvym::commands
