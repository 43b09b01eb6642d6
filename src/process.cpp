// What process.h declares for every platform alike (the rest is in
// src/platform/process_posix.cpp and process_win.cpp).
#include "process.h"

namespace hvym {

std::string last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  size_t nl = text.rfind('\n');
  std::string line(nl == std::string_view::npos ? text : text.substr(nl + 1));
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

}  // namespace hvym
