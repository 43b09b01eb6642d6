// Many commands in one process (`hvym batch`, `hvym serve`): requests in,
// one JSON array of results out (docs/batch.md).
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/sink.h"

namespace simdjson::dom {
class parser;
}

namespace hvym::batch {

// One command line: argv[0] names the command.
struct Request {
  std::vector<std::string> argv;
  std::string input;    // its standard input (a JSON request's "stdin"); else none
  int timeout_s = 0;    // a child's deadline (a JSON request's "timeout"); 0: the default
};

// The bounds of one batch (or one serve line).
inline constexpr size_t kMaxRequests = 1000;
inline constexpr size_t kMaxOutput = size_t{64} << 20;  // every result's stdout + stderr
inline constexpr int kDefaultTimeoutS = 600;
inline constexpr int kMaxTimeoutS = 86400;
inline constexpr size_t kMaxProbeThreads = 16;
inline constexpr size_t kMaxProbeOutput = size_t{1} << 20;

struct Limits {
  int cancel_fd = -1;  // readable: kill the children now (serve is stopping)
  int timeout_s = kDefaultTimeoutS;
};

// Splits a command line as a POSIX shell splits words (blanks, '...',
// "...", backslashes; no expansion). False with the reason.
bool split_words(std::string_view line, std::vector<std::string>& words, std::string& error);

// simdjson's parser for requests, kept by whoever parses one after another
// (a serve connection) so its buffers are reused. Not a thread_local: one
// destroyed at thread exit crashed a serve thread under wine (mingw's TLS
// was being torn down: a page fault in ~parser, once in 7 runs).
class RequestParser {
 public:
  RequestParser();
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;
  simdjson::dom::parser& get() { return *p_; }

 private:
  std::unique_ptr<simdjson::dom::parser> p_;
};

// A JSON array of requests: {"cmd": NAME, "args": [...]} or ["NAME", ...].
// With `single`, one request (object or argv array) is also accepted.
// False with the reason and the byte offset of the fault.
bool parse_requests(RequestParser& parser, std::string_view json, bool single, std::vector<Request>& out,
                    std::string& error, size_t& offset);

// Runs the requests, in order (probes concurrently), and writes the JSON
// array of results (one line, no newline). A command that declares
// kInProcess runs in this process; every other one, and one that turns out
// to want to write the store, runs as a child process of hvym with the same
// output (docs/batch.md).
void run(const std::vector<Request>& requests, Sink& out, const Limits& limits = {});

// hvym batch and serve call this first: one shared read-only store
// environment, SIGPIPE ignored.
void enter_shared_mode();

// Where a JSON text first goes wrong (its byte offset), for messages.
size_t json_error_offset(std::string_view json);

}  // namespace hvym::batch
