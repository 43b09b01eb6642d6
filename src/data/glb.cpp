#include "data/glb.h"
#include "store/paths.h"
#include "platform/fs.h"
#include "platform/process.h"


#include <cerrno>
#include <cstdint>
#include <cstring>

namespace hvym {
namespace {

constexpr uint32_t kMagic = 0x46546C67;      // "glTF"
constexpr uint32_t kJsonChunk = 0x4E4F534A;  // "JSON"
constexpr uint64_t kMaxJson = 512u << 20;    // a larger JSON is not a glTF anyone wrote

uint32_t le32(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

bool read_at(int fd, void* buf, size_t n, uint64_t at) {
  auto* p = static_cast<char*>(buf);
  while (n) {
    long long got = fs::read_at(fd, p, n, at);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got, n -= static_cast<size_t>(got), at += static_cast<uint64_t>(got);
  }
  return true;
}

}  // namespace

bool read_gltf_json(const std::string& path, std::string& json, std::string& error) {
  int fd = open_regular_file(path, error);
  if (fd < 0) return false;
  struct Closer {
    int fd;
    ~Closer() { close_fd(fd); }
  } closer{fd};
  uint64_t size;
  if (!fs::regular_fd(fd, size)) {
    error = "cannot read " + path;
    return false;
  }
  unsigned char head[20];
  bool glb = size >= 4 && read_at(fd, head, 4, 0) && le32(head) == kMagic;
  if (!glb) {  // a .gltf: the whole file is the JSON
    if (size > kMaxJson) {
      error = path + " is too large for a glTF JSON file";
      return false;
    }
    json.resize(size);
    if (size && !read_at(fd, json.data(), size, 0)) {
      error = "cannot read " + path;
      return false;
    }
    return true;
  }
  auto bad = [&](const std::string& what) {
    error = path + " is not a valid GLB file: " + what;
    return false;
  };
  if (size < 20 || !read_at(fd, head, 20, 0)) return bad("shorter than its headers");
  uint32_t version = le32(head + 4), length = le32(head + 8);
  uint32_t chunk_length = le32(head + 12), chunk_type = le32(head + 16);
  if (version != 2) return bad("version " + std::to_string(version) + ", not 2");
  if (length > size) return bad("it says " + std::to_string(length) + " bytes but has " + std::to_string(size));
  if (length < 20) return bad("it says " + std::to_string(length) + " bytes, less than its headers");
  if (chunk_type != kJsonChunk) return bad("the first chunk is not JSON");
  if (uint64_t{chunk_length} > uint64_t{length} - 20)
    return bad("its JSON chunk says " + std::to_string(chunk_length) + " bytes but " +
               std::to_string(length - 20) + " remain");
  json.resize(chunk_length);
  if (chunk_length && !read_at(fd, json.data(), chunk_length, 20)) return bad("the JSON chunk cannot be read");
  return true;
}

}  // namespace hvym
