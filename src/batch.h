// Many commands in one process (`hvym batch`, `hvym serve`): requests in,
// one JSON array of results out (docs/batch.md).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "sink.h"

namespace hvym::batch {

// One command line: argv[0] names the command.
struct Request {
  std::vector<std::string> argv;
};

// Splits a command line as a POSIX shell splits words (blanks, '...',
// "...", backslashes; no expansion). False with the reason.
bool split_words(std::string_view line, std::vector<std::string>& words, std::string& error);

// A JSON array of requests: {"cmd": NAME, "args": [...]} or ["NAME", ...].
// With `single`, one request (object or argv array) is also accepted.
// False with the reason and the byte offset of the fault.
bool parse_requests(std::string_view json, bool single, std::vector<Request>& out, std::string& error,
                    size_t& offset);

// Runs the requests in this process, in order (probes concurrently), and
// writes the JSON array of results (one line, no newline).
void run(const std::vector<Request>& requests, Sink& out);

// Where a JSON text first goes wrong (its byte offset), for messages.
size_t json_error_offset(std::string_view json);

}  // namespace hvym::batch
