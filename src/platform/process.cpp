// What process.h declares for every platform alike (the rest is in
// src/platform/process_posix.cpp and process_win.cpp).
#include "platform/process.h"

namespace hvym {

namespace {
thread_local int g_thread_cancel = -1;
thread_local bool g_thread_cancelled = false;
}  // namespace

void set_thread_cancel(int fd) {
  g_thread_cancel = fd;
  g_thread_cancelled = false;
}

bool take_thread_cancelled() {
  bool was = g_thread_cancelled;
  g_thread_cancelled = false;
  return was;
}

Conversation talk(const Talk& t) {
  if (t.cancel_fd >= 0 || g_thread_cancel < 0) return talk_here(t);
  Talk mine = t;
  mine.cancel_fd = g_thread_cancel;
  Conversation c = talk_here(mine);
  if (c.cancelled) g_thread_cancelled = true;
  return c;
}

std::string last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  size_t nl = text.rfind('\n');
  std::string line(nl == std::string_view::npos ? text : text.substr(nl + 1));
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

}  // namespace hvym
