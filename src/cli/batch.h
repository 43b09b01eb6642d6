// Many commands in one process (`hvym batch`, `hvym serve`): requests in,
// one JSON array of results out (docs/batch.md).
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/sink.h"
#include "platform/process.h"

namespace simdjson::dom {
class parser;
class element;
}

namespace hvym {
class JsonWriter;
struct Command;
}

namespace hvym::batch {

// One command line: argv[0] names the command.
struct Request {
  std::vector<std::string> argv;
  std::string prog;     // the program's name in messages ("hvym-linux"); empty: hvym
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
  int cancel_fd = -1;  // readable: kill the children now (serve is stopping, or the request is cancelled)
  int timeout_s = kDefaultTimeoutS;
  // The caller's variables ("NAME=value"; a bare "NAME": unset), honoured
  // in-process when runs_in_process() says they can be, else by a child.
  const std::vector<std::string>* env = nullptr;
  std::string cwd;                 // a child's working folder, when not empty
  OutputFn on_output = nullptr;    // a child's output as it comes (serve's `output`)
  void* output_ctx = nullptr;
  ByteBudget* budget = nullptr;    // output held across a server's requests (serve); past it: over budget
  int ask_fd = -1;                 // a child asks through it (its fd 3, HVYM_ASK_FD=3)
  bool asks_locally = false;       // else a child asks as it would on its own (a dialog program)
};

// Why a request ended, beyond its exit status.
enum class Ended : uint8_t { Normally, TimedOut, Cancelled, OverBudget, NotRun };

// One request's result: what `hvym batch` prints for it.
struct Result {
  std::string cmd;
  int exit = 0;
  std::string out, err;
  Ended ended = Ended::Normally;
  size_t charged = 0;  // taken from Limits::budget: given back once the answer is out (run_single's caller)
};

// Whether a request with these variables may run in-process: only the
// ones its units read through env_get (kEnvInProcess) may differ from
// this process's own.
inline constexpr const char* kEnvInProcess[] = {"DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_HOST", "PATH"};
bool env_fits_in_process(const std::vector<std::string>& env);
// Whether a request of `cmd` with these variables (null: none) runs in
// this process rather than as a child.
bool runs_in_process(const Command& cmd, const std::vector<std::string>* env);

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
// The same, the results kept for the caller (serve's watches), in request
// order; what they took from limits.budget is in each one's `charged`.
void run_results(const std::vector<Request>& requests, std::vector<Result>& results, const Limits& limits = {});
// One request alone (serve's `run`): in-process or as a child, as above.
// What it took from limits.budget is in result.charged, for the caller to
// give back once the answer is out (run() gives back its own).
void run_single(const Request& request, Result& result, const Limits& limits);
// A result as batch prints it: {"cmd", "exit", "stdout", "stderr", "value"}.
void write_result(JsonWriter& w, const Result& r);
// The keys of a request object, and whether `key` is one.
bool known_request_key(std::string_view key);
// One request from a JSON value (an object or an argv array): "" or what is
// wrong with it. Keys for which `also(key)` is true are left to the caller.
std::string read_request(const simdjson::dom::element& e, Request& r, bool (*also)(std::string_view) = nullptr);

// hvym batch and serve call this first: one shared read-only store
// environment, SIGPIPE ignored.
void enter_shared_mode();

// Where a JSON text first goes wrong (its byte offset), for messages.
size_t json_error_offset(std::string_view json);

}  // namespace hvym::batch
