#include "cli/serve_rpc.h"

#include <cstdlib>

#include "cli/serve_session.h"
#include "platform/process.h"
#include "platform/sys.h"
#include "simdjson.h"
#include "store/paths.h"
#include "version.h"

namespace hvym::serve::rpc {
namespace {

// The variables that change answers, reported by hello as the server has
// them (docs/protocol.md, Environment).
constexpr const char* kReported[] = {
    "DISPLAY", "DOCKER_CERT_PATH", "DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_HOST", "DOCKER_TLS_VERIFY",
    "HOME", "HVYM_DIALOG", "HVYM_HOME", "HVYM_NO_INPUT", "LANG", "PATH", "WAYLAND_DISPLAY",
    "XDG_DATA_HOME", "XDG_RUNTIME_DIR"};

constexpr const char* kAskKinds[] = {"message", "yesno", "choice", "line", "text", "secret", "file", "copy"};

template <class F>
std::string line(F&& fields) {
  std::string s = object([&](JsonWriter& w) {
    w.key("jsonrpc");
    w.string("2.0");
    fields(w);
  });
  s += '\n';
  return s;
}

void write_id(JsonWriter& w, const Id* id) {
  w.key("id");
  if (id) id->write(w);
  else w.null();
}

void write_error(JsonWriter& w, int code, std::string_view message) {
  w.key("code");
  w.integer(code);
  w.key("message");
  w.string(message);
}

bool starts_object(std::string_view line) {
  size_t i = line.find_first_not_of(" \t\r");
  return i != std::string_view::npos && line[i] == '{';
}

}  // namespace

bool read_id(const simdjson::dom::element& e, Id& id) {
  std::string_view text;
  if (!e.get(text)) return id.is_text = true, id.text.assign(text), true;
  int64_t n;
  if (!e.get(n)) return id.is_text = false, id.n = n, true;
  return false;
}

std::string id_json(const Id& id) {
  std::string s;
  {
    StringSink sink(s);
    JsonWriter w(sink);
    id.write(w);
  }
  return s;
}

std::string result_head(const Id& id) {
  std::string s = "{\"jsonrpc\": \"2.0\", \"id\": " + id_json(id) + ", \"result\": ";
  return s;
}

std::string result(const Id& id, std::string_view result_json) {
  return line([&](JsonWriter& w) {
    write_id(w, &id);
    w.key("result");
    w.raw(result_json);
  });
}

void run_answer(Sink& out, const Id& id, int code, const batch::Result& r) {
  JsonWriter w(out);
  w.begin_object();
  w.key("jsonrpc");
  w.string("2.0");
  write_id(w, &id);
  if (!code) {
    w.key("result");
    batch::write_result(w, r);
  } else {
    std::string why = last_line(r.err);
    if (why.starts_with("hvym: ")) why.erase(0, 6);
    w.key("error");
    w.begin_object();
    write_error(w, code, why);
    w.key("data");
    w.begin_object();
    w.key("cmd"), w.string(r.cmd);
    w.key("exit"), w.integer(r.exit);
    w.key("stdout"), w.string(r.out);
    w.key("stderr"), w.string(r.err);
    w.end_object();
    w.end_object();
  }
  w.end_object();
  out.put('\n');
}

std::string error(const Id* id, int code, std::string_view message) {
  return line([&](JsonWriter& w) {
    write_id(w, id);
    w.key("error");
    w.begin_object();
    write_error(w, code, message);
    w.end_object();
  });
}

std::string bad_param(const Id* id, std::string_view message, std::string_view name, std::string_view value) {
  return line([&](JsonWriter& w) {
    write_id(w, id);
    w.key("error");
    w.begin_object();
    write_error(w, kInvalidParams, message);
    w.key("data");
    w.begin_object();
    w.key(name), w.string(value);
    w.end_object();
    w.end_object();
  });
}

std::string unknown_key(const Id* id, std::string_view key) {
  return bad_param(id, "unknown key \"" + std::string(key) + "\"", "key", key);
}

std::string unsupported(const Id& id) {
  return line([&](JsonWriter& w) {
    write_id(w, &id);
    w.key("error");
    w.begin_object();
    write_error(w, kUnsupported, "this server speaks protocol revision " + std::to_string(kProtocol));
    w.key("data");
    w.begin_object();
    w.key("protocol"), w.integer(kProtocol);
    w.end_object();
    w.end_object();
  });
}

std::string notification(std::string_view method, std::string_view params_json) {
  return line([&](JsonWriter& w) {
    w.key("method");
    w.string(method);
    w.key("params");
    w.raw(params_json);
  });
}

std::string request(std::string_view id_text, std::string_view method, std::string_view params_json) {
  return line([&](JsonWriter& w) {
    w.key("id");
    w.string(id_text);
    w.key("method");
    w.string(method);
    w.key("params");
    w.raw(params_json);
  });
}

std::string hello_result(const Id& id, const std::string& address, bool relays, int connections) {
  std::string result = object([&](JsonWriter& w) {
    w.key("hvym"), w.string(kHvymVersion);
    w.key("protocol"), w.integer(kProtocol);
    w.key("pid"), w.integer(current_pid());
    w.key("connections"), w.integer(connections);
    w.key("data_folder"), w.string(data_dir());
    w.key("address"), w.string(address);
    w.key("platform"), w.string(sys::system_name());
    w.key("capabilities");
    w.begin_object();
    w.key("methods");
    w.begin_array();
    for (const char* m : {"hello", "run", "batch", "cancel", "shutdown", "watch", "unwatch"}) w.string(m);
    w.end_array();
    w.key("ask"), w.boolean(relays);
    w.key("ask_kinds");
    w.begin_array();
    for (const char* k : kAskKinds) w.string(k);
    w.end_array();
    w.key("output"), w.boolean(true);
    w.key("cancel"), w.boolean(true);
    w.key("env_in_process");
    w.begin_array();
    for (const char* v : batch::kEnvInProcess) w.string(v);
    w.end_array();
    w.end_object();
    w.key("env");
    w.begin_object();
    for (const char* v : kReported) {
      w.key(v);
      const char* own = std::getenv(v);
      own ? w.string(own) : w.null();
    }
    w.end_object();
  });
  return rpc::result(id, result);
}

bool looks_like_protocol(std::string_view line) {
  return starts_object(line) && line.find("\"jsonrpc\"") != std::string_view::npos;
}

std::string malformed(std::string_view text) {
  size_t offset = batch::json_error_offset(text);
  return line([&](JsonWriter& w) {
    write_id(w, nullptr);
    w.key("error");
    w.begin_object();
    write_error(w, kMalformed, "malformed: not JSON at byte " + std::to_string(offset));
    w.key("data");
    w.begin_object();
    w.key("offset"), w.integer(static_cast<int64_t>(offset));
    w.end_object();
    w.end_object();
  });
}

std::string too_large(std::string_view start) {
  if (looks_like_protocol(start.substr(0, 256))) return error(nullptr, kTooLarge, "the line is over 1 MB");
  return legacy_error("request over 1 MB", nullptr);
}

std::string too_many_clients(std::string_view first_line, int limit) {
  std::string message = "too many clients (" + std::to_string(limit) + "); try again";
  if (!first_line.empty() && !starts_object(first_line) && first_line.find_first_not_of(" \t\r") != std::string_view::npos)
    return legacy_error(message, nullptr);  // a batch line: the shape batch clients read
  Id id;
  bool has_id = false;
  simdjson::dom::parser parser;
  simdjson::dom::object msg;
  simdjson::dom::element e;
  bool parsed = !parser.parse(first_line.data(), first_line.size()).get(msg);
  if (!first_line.empty() && (!parsed || msg["jsonrpc"].error())) return legacy_error(message, nullptr);
  if (parsed && !msg["id"].get(e)) has_id = read_id(e, id);
  return error(has_id ? &id : nullptr, kTooManyClients, message);
}

std::string legacy_error(std::string_view message, const size_t* offset) {
  std::string s = object([&](JsonWriter& w) {
    w.key("error");
    w.string(message);
    if (offset) {
      w.key("offset");
      w.integer(static_cast<int64_t>(*offset));
    }
  });
  s += '\n';
  return s;
}

bool can_relay() {
  int fds[2];
  if (!make_socket_pair(fds)) return false;
  close_fd(fds[0]);
  close_fd(fds[1]);
  return true;
}

}  // namespace hvym::serve::rpc
