// What process.h declares for every platform alike (the rest is in
// src/platform/process_posix.cpp and process_win.cpp).
#include "platform/process.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace hvym {

namespace {
thread_local int g_thread_cancel = -1;
thread_local bool g_thread_cancelled = false;
thread_local const std::vector<std::string>* g_thread_env = nullptr;
}  // namespace

bool procargs_mention(std::string_view args, std::string_view name) {
  int32_t argc = 0;
  if (args.size() < sizeof argc) return false;
  std::memcpy(&argc, args.data(), sizeof argc);
  size_t start = args.find('\0', sizeof argc);  // the end of the executable's path
  if (start == std::string_view::npos) return false;
  start = args.find_first_not_of('\0', start);
  if (start == std::string_view::npos) return false;
  size_t end = start;
  for (int32_t i = 0; i < argc && end < args.size(); ++i) {
    size_t nul = args.find('\0', end);
    end = nul == std::string_view::npos ? args.size() : nul + 1;
  }
  return args.substr(start, end - start).find(name) != std::string_view::npos;
}

void set_thread_env(const std::vector<std::string>* overlay) { g_thread_env = overlay; }
const std::vector<std::string>* thread_env() { return g_thread_env; }

const char* env_get(const char* name) {
  if (g_thread_env) {
    std::string_view n(name);
    for (const std::string& v : *g_thread_env) {
      if (v.size() < n.size() || v.compare(0, n.size(), n) != 0) continue;
      if (v.size() == n.size()) return nullptr;  // unset for this thread
      if (v[n.size()] == '=') return v.c_str() + n.size() + 1;
    }
  }
  return std::getenv(name);
}

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
