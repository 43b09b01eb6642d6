// The messages of serve's protocol (docs/protocol.md), written as lines:
// JSON-RPC 2.0 responses, errors with their codes, notifications, and the
// server's own requests to the client.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "cli/batch.h"
#include "io/sink.h"
#include "json/json_writer.h"

namespace hvym::serve::rpc {

// The error codes (docs/protocol.md's table).
enum Code : int {
  kMalformed = -32700,
  kInvalidRequest = -32600,
  kNoMethod = -32601,
  kInvalidParams = -32602,
  kTooLarge = -32001,
  kTooManyClients = -32002,
  kTimeout = -32003,
  kStopping = -32004,
  kNotRun = -32005,
  kUnsupported = -32010,
  kCancelled = -32800,
};

// A request id as the client wrote it: a number or a string.
struct Id {
  bool is_text = false;
  int64_t n = 0;
  std::string text;
  void write(JsonWriter& w) const { is_text ? w.string(text) : w.integer(n); }
  std::string key() const { return is_text ? "s" + text : "n" + std::to_string(n); }
};
// false when the value is neither a whole number nor a string.
bool read_id(const simdjson::dom::element& e, Id& id);
std::string id_json(const Id& id);

// A JSON object written by `fields` (between its braces).
template <class F>
std::string object(F&& fields) {
  std::string s;
  {
    SecretStringSink sink(s);
    JsonWriter w(sink);
    w.begin_object();
    fields(w);
    w.end_object();
  }
  return s;
}

// Lines, each ending in '\n'. `params_json` / `result_json`: JSON text.
std::string result(const Id& id, std::string_view result_json);
// A run's answer streamed to `out` (no copy of a large one): its result,
// or (code not 0) an error with what it printed in data.
void run_answer(Sink& out, const Id& id, int code, const batch::Result& r);
// `{"jsonrpc": "2.0", "id": ID, "result": ` : a result sent in pieces, then "}\n".
std::string result_head(const Id& id);
std::string error(const Id* id, int code, std::string_view message);
// -32602 with data {NAME: VALUE} (the key or topic at fault).
std::string bad_param(const Id* id, std::string_view message, std::string_view name, std::string_view value);
std::string unknown_key(const Id* id, std::string_view key);
std::string unsupported(const Id& id);
std::string notification(std::string_view method, std::string_view params_json);
std::string request(std::string_view id_text, std::string_view method, std::string_view params_json);
std::string hello_result(const Id& id, const std::string& address, bool relays, int connections);

// A line that is not JSON but was meant as the protocol (an object).
bool looks_like_protocol(std::string_view line);
std::string malformed(std::string_view line);
// A line over 1 MB: in the protocol's shape when it looks like it.
std::string too_large(std::string_view start);
// The first line of a client turned away (protocol's shape, or batch's).
std::string too_many_clients(std::string_view first_line, int limit);
// The batch lines' own error object (docs/batch.md).
std::string legacy_error(std::string_view message, const size_t* offset);

// Whether questions can be relayed to a client on this platform.
bool can_relay();

}  // namespace hvym::serve::rpc
