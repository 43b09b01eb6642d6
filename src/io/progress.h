// Progress of long work on stderr: a bar that redraws itself on a terminal,
// a few plain lines otherwise (logs, the GUI's pipes).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "io/sink.h"

namespace hvym {

class Progress {
 public:
  Progress(Sink& err, std::string label);
  ~Progress() { done(); }

  // done of total bytes (total 0: unknown), or of total items ("layers").
  void update(uint64_t done, uint64_t total);
  void update_items(uint64_t done, uint64_t total, std::string_view what);
  // A status line ("Pulling fs layer abc123").
  void line(std::string_view text);
  // Ends the bar's line (once).
  void done();

 private:
  void clear_bar();
  void draw(int pct, const std::string& amount, bool force);
  Sink& err_;
  std::string label_;
  bool tty_;
  bool bar_shown_ = false;
  int last_step_ = -1;   // plain mode: the last 10% step printed
  long long last_draw_ = 0;
};

// "12.3 MB"
std::string human_bytes(uint64_t n);

}  // namespace hvym
