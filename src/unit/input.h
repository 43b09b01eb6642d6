// A call's standard input, handed over by the dispatcher: no unit reads
// fd 0 itself. One process: fd 0, read at the first use. Batch and serve:
// the request's own "stdin" text, or nothing (never the server's fd 0).
#pragma once
#include <string>
#include <string_view>

namespace hvym {

class Input {
 public:
  // Standard input of a one-process call, read when first asked for.
  static Input from_fd(int fd) { return Input(fd, {}); }
  // A request's text (empty: the request gave none).
  static Input from_text(std::string_view text) { return Input(-1, text); }

  // All of it (read once per call; two secrets may come from it). False
  // with the reason, also when it is over `max` bytes.
  bool all(size_t max, std::string_view& out, std::string& error);

 private:
  Input(int fd, std::string_view text) : fd_(fd), text_(text) {}
  int fd_;
  bool read_ = false;
  std::string text_;
};

}  // namespace hvym
