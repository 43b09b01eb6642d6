// hvym batch: many commands, one process, one JSON array of results.
#include <unistd.h>

#include <cerrno>

#include "args.h"
#include "batch.h"
#include "command.h"

namespace hvym::commands {
namespace {

constexpr Param kBatchParams[] = {
    {Kind::Flag, Type::Bool, "--json", nullptr,
     "Read a JSON array of requests from standard input (or from the one argument).", true},
    {Kind::Rest, Type::String, "command", nullptr, "a command line, e.g. 'png-to-data-url logo.png'", true},
};

bool read_stdin(std::string& text, std::string& error) {
  char buf[65536];
  while (true) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return error = "cannot read standard input", false;
    if (n == 0) return true;
    text.append(buf, static_cast<size_t>(n));
  }
}

int run_batch(Call& call) {
  std::vector<batch::Request> requests;
  std::string error;
  if (call[0].b) {
    if (call.rest.size() > 1) return usage_error(call, "With --json, give the requests as one argument or on standard input.");
    std::string text;
    if (call.rest.empty() && !read_stdin(text, error)) return failure(call, error + ".");
    std::string_view json = call.rest.empty() ? std::string_view(text) : call.rest[0];
    size_t offset = 0;
    if (!batch::parse_requests(json, false, requests, error, offset)) {
      std::string where = offset ? " at byte " + std::to_string(offset) : "";
      return usage_error(call, "malformed requests" + where + ": " + error + ".");
    }
  } else {
    if (call.rest.empty()) return usage_error(call, "Give command lines, or --json.");
    for (size_t i = 0; i < call.rest.size(); ++i) {
      batch::Request r;
      if (!batch::split_words(call.rest[i], r.argv, error))
        return usage_error(call, "command line " + std::to_string(i + 1) + ": " + error + ".");
      requests.push_back(std::move(r));
    }
  }
  batch::run(requests, call.out);
  call.out.put('\n');
  return kOk;
}

}  // namespace

extern const Command batch;

constinit const Command batch{
    .name = "batch",
    .group = Group::Tools,
    .summary = "Run many commands in one process; print one JSON array of their results.",
    .help = "Run many commands in this one process and print a JSON array of their results, in "
            "order: {\"cmd\", \"exit\", \"stdout\", \"stderr\", \"value\"} each (docs/batch.md). "
            "Each argument is one command line, split as a shell would; with --json the requests "
            "are a JSON array. Config queries share one snapshot; probes run at the same time; "
            "nothing asks. Exit status 0 unless the requests are malformed (2).",
    .params = kBatchParams,
    .needs = kNeedsNothing,
    .run = run_batch,
};

}  // namespace hvym::commands
