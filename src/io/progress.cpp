#include "io/progress.h"

#include <cstdio>

#include "platform/fs.h"
#include "platform/process.h"

namespace hvym {

std::string human_bytes(uint64_t n) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1000 && u < 4) v /= 1000, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

Progress::Progress(Sink& err, std::string label)
    : err_(err), label_(std::move(label)), tty_(fs::is_terminal(2)) {}

void Progress::clear_bar() {
  if (!bar_shown_) return;
  err_.write("\r\033[K");
  bar_shown_ = false;
}

void Progress::update(uint64_t done, uint64_t total) {
  int pct = total ? static_cast<int>(done * 100 / total) : -1;
  draw(pct, pct < 0 ? human_bytes(done) : human_bytes(done) + " of " + human_bytes(total), false);
}

void Progress::update_items(uint64_t done, uint64_t total, std::string_view what) {
  int pct = total ? static_cast<int>(done * 100 / total) : -1;
  draw(pct, std::to_string(done) + " of " + std::to_string(total) + " " + std::string(what), true);
}

void Progress::draw(int pct, const std::string& amount, bool force) {
  if (!tty_) {
    // Plain lines at every tenth, so a log shows movement without flooding.
    int step = pct < 0 ? -1 : pct / 10;
    if (step <= last_step_ && !force) return;
    last_step_ = step;
    err_.line(label_ + ": " + (pct < 0 ? std::string() : std::to_string(pct) + "% ") + "(" + amount + ")");
    err_.flush();
    return;
  }
  long long now = now_ms();
  if (now - last_draw_ < 100 && pct != 100 && !force) return;
  last_draw_ = now;
  constexpr int kWidth = 30;
  std::string bar = "\r" + label_ + " [";
  int filled = pct < 0 ? 0 : pct * kWidth / 100;
  bar.append(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  bar += "] ";
  if (pct >= 0) bar += std::to_string(pct) + "% ";
  bar += amount + "\033[K";
  err_.write(bar);
  err_.flush();
  bar_shown_ = true;
}

void Progress::line(std::string_view text) {
  clear_bar();
  err_.line(text);
  err_.flush();
}

void Progress::done() {
  if (bar_shown_) {
    err_.put('\n');
    err_.flush();
    bar_shown_ = false;
  }
}

}  // namespace hvym
