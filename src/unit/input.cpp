#include "unit/input.h"

#include <cerrno>
#include <cstring>

#include "platform/fs.h"

namespace hvym {

bool Input::all(size_t max, std::string_view& out, std::string& error) {
  if (fd_ >= 0 && !read_) {
    read_ = true;
    char buf[4096];
    while (true) {
      long long n = fs::read_some(fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return error = std::string("cannot read standard input: ") + std::strerror(errno), false;
      if (n == 0) break;
      text_.append(buf, static_cast<size_t>(n));
      if (text_.size() > max) break;  // no need to read the rest to refuse it
    }
  }
  if (text_.size() > max) return error = "standard input is over " + std::to_string(max) + " bytes", false;
  out = text_;
  return true;
}

}  // namespace hvym
