// hvym batch: many commands, one process, one JSON array of results.
#include "unit/args.h"
#include "cli/batch.h"
#include "unit/command.h"
#include "unit/input.h"

namespace hvym::commands {
namespace {

constexpr Param kBatchParams[] = {
    {Kind::Flag, Type::Bool, "--json", nullptr,
     "Read a JSON array of requests from standard input (or from the one argument).", true},
    {Kind::Option, Type::Int, "--timeout", nullptr,
     "Seconds a request run as a child process may take (default 600).", true},
    {Kind::Rest, Type::String, "command", nullptr, "a command line, e.g. 'png-to-data-url logo.png'", true},
};

int run_batch(Call& call) {
  std::vector<batch::Request> requests;
  std::string error;
  batch::Limits limits;
  if (const Value& timeout = call[param(kBatchParams, "--timeout")]; timeout.given) {
    if (!timeout.i_fits || timeout.i < 1 || timeout.i > batch::kMaxTimeoutS)
      return usage_error(call, "Invalid value for '--timeout': " + timeout.digits + " is not a number of seconds from 1 to " +
                                   std::to_string(batch::kMaxTimeoutS) + ".");
    limits.timeout_s = static_cast<int>(timeout.i);
  }
  if (call[param(kBatchParams, "--json")].b) {
    if (call.rest.size() > 1) return usage_error(call, "With --json, give the requests as one argument or on standard input.");
    std::string_view json;
    if (!call.rest.empty()) json = call.rest[0];
    else if (!call.input->all(size_t{64} << 20, json, error)) return failure(call, error + ".");
    size_t offset = 0;
    batch::RequestParser parser;
    if (!batch::parse_requests(parser, json, false, requests, error, offset)) {
      std::string where = offset ? " at byte " + std::to_string(offset) : "";
      return usage_error(call, "malformed requests" + where + ": " + error + ".");
    }
  } else {
    if (call.rest.empty()) return usage_error(call, "Give command lines, or --json.");
    if (call.rest.size() > batch::kMaxRequests)
      return usage_error(call, "more than " + std::to_string(batch::kMaxRequests) + " requests at once.");
    for (size_t i = 0; i < call.rest.size(); ++i) {
      batch::Request r;
      if (!batch::split_words(call.rest[i], r.argv, error))
        return usage_error(call, "command line " + std::to_string(i + 1) + ": " + error + ".");
      requests.push_back(std::move(r));
    }
  }
  batch::enter_shared_mode();
  batch::run(requests, call.out, limits);
  call.out.put('\n');
  return kOk;
}

}  // namespace

extern constinit const Command batch{
    .name = "batch",
    .group = Group::Tools,
    .summary = "Run many commands in one process; print one JSON array of their results.",
    .help = "Run many commands in this one process and print a JSON array of their results, in "
            "order: {\"cmd\", \"exit\", \"stdout\", \"stderr\", \"value\"} each (docs/batch.md). "
            "Each argument is one command line, split as a shell would; with --json the requests "
            "are a JSON array. Config queries share one snapshot; probes run at the same time; "
            "commands that write or run long run as child processes (--timeout bounds each); "
            "nothing asks. Exit status 0 unless the requests are malformed (2).",
    .params = kBatchParams,
    .needs = kServer,
    .run = run_batch,
};

}  // namespace hvym::commands
