// config: the whole configuration for scripts — list, get, set, verify.
#include <cmath>

#include "unit/args.h"
#include "unit/command.h"
#include "unit/config_access.h"
#include "store/config.h"
#include "json/json_writer.h"
#include "json/pyconv.h"

namespace hvym::commands {
namespace {

// The keys' names, for the shells' completion of the second argument.
#define HVYM_KEY_WORD(key, name, ...) " " name
constexpr const char* kKeyNames = "printf '%s\\n'" HVYM_CONFIG_KEYS(HVYM_KEY_WORD);
#undef HVYM_KEY_WORD

constexpr Param kParams[] = {
    {Kind::Argument, Type::String, "action", nullptr, "list, get, set or verify", false,
     "printf '%s\\n' list get set"},
    {Kind::Argument, Type::String, "key", nullptr, "a key (get, set); config list shows them", true, kKeyNames},
    {Kind::Argument, Type::String, "value", nullptr, "the new value (set)", true},
    {Kind::Flag, Type::Bool, "--json", nullptr, "list: one JSON object", false},
};
constexpr size_t kAction = param(kParams, "action");
constexpr size_t kKey = param(kParams, "key");
constexpr size_t kValue = param(kParams, "value");
constexpr size_t kJson = param(kParams, "--json");

// Lists as comma-separated words: what `config set` takes back.
std::string plain(Key k, std::string_view v) {
  std::string s(v);
  if (spec(k).kind == ValueKind::List)
    for (char& c : s)
      if (c == '\n') c = ',';
  return s;
}

void json_value(JsonWriter& w, Key k, std::string_view v) {
  switch (spec(k).kind) {
    case ValueKind::List:
      w.begin_array();
      for (std::string_view e : list_elements(v)) w.string(e);
      w.end_array();
      break;
    case ValueKind::Port: w.integer_text(v); break;
    case ValueKind::Count:
      if (v.empty()) w.null();
      else w.integer_text(v);
      break;
    case ValueKind::Number: {
      double d;
      if (v.empty() || !py::parse_float(v, d)) w.null();
      else w.number(d);
      break;
    }
    default: w.string(v);
  }
}

int unknown_key(Call& call, std::string_view name) {
  std::string keys;
  for (size_t i = 0; i < kKeyCount; ++i) keys += std::string(i ? ", " : "") + spec(Key(i)).name;
  return usage_error(call, "Unknown key " + py_repr(name) + "; the keys are " + keys + ".");
}

int list(Call& call, Config& cfg) {
  if (call[kJson].b) {
    JsonWriter w(call.out);
    w.begin_object();
    for (size_t i = 0; i < kKeyCount; ++i) {
      w.key(spec(Key(i)).name);
      json_value(w, Key(i), cfg.get(Key(i)));
    }
    w.end_object();
    call.out.put('\n');
  } else {
    for (size_t i = 0; i < kKeyCount; ++i)
      call.out.line(std::string(spec(Key(i)).name) + "=" + plain(Key(i), cfg.get(Key(i))));
  }
  return kOk;
}

int run(Call& call) {
  std::string_view action = call[kAction].text;
  bool write = action == "set";
  if (action != "list" && action != "get" && action != "set" && action != "verify")
    return usage_error(call, "Unknown action " + py_repr(action) + ": use list, get, set or verify.");
  size_t wanted = action == "set" ? 2 : action == "get" ? 1 : 0;
  size_t given = call[kKey].given + call[kValue].given;
  if (given != wanted)
    return usage_error(call, std::string("config ") + std::string(action) + " takes " +
                                 (wanted == 2 ? "KEY VALUE" : wanted == 1 ? "KEY" : "no KEY or VALUE") + ".");
  if (call[kJson].b && action != "list") return usage_error(call, "--json goes with list.");

  std::optional<Key> key;
  std::string encoded;
  if (wanted) {
    key = key_named(call[kKey].text);
    if (!key) return unknown_key(call, call[kKey].text);
  }
  if (write) {
    std::string why;
    if (!encode_input(*key, call[kValue].text, encoded, why))
      return usage_error(call, std::string("Invalid value for ") + spec(*key).name + ": " + why + ".");
  }

  if (action == "list") return list(call, call.config());
  if (action == "get") {
    call.out.line(plain(*key, call.config().get(*key)));
    return kOk;
  }
  if (action == "set") {
    return write_config(call, [&] {
      std::string error;
      return call.config().set(*key, encoded, error) ? kOk : failure(call, error);
    });
  }
  // verify: the call's own read session (kReadsConfig, not a batch snapshot)
  ConfigSession* own = call.store->open_session();
  if (!own) return failure(call, "verify needs the store itself, not a snapshot of it.");
  ConfigSession& session = *own;
  if (!session.has_store()) {
    call.out.line(session.data_dir().empty()
                      ? "no data folder (HOME and HVYM_HOME unset): defaults in use"
                      : "no store at " + Store::path_in(session.data_dir()) + ": defaults in use");
    return kOk;
  }
  size_t keys = 0;
  std::string problem = session.store().verify(keys);
  if (!problem.empty()) return failure(call, problem);
  call.out.line("consistent: " + Store::path_in(session.data_dir()) + ", " + std::to_string(keys) +
                " records, schema " + std::to_string(kSchemaVersion));
  return kOk;
}

}  // namespace

extern constinit const Command config{
    .name = "config",
    .group = Group::Tools,
    .summary = "List, get, set or verify configuration values (for scripts).",
    .help = "config list [--json] prints every key and value; config get KEY prints one "
            "(lists comma-separated); config set KEY VALUE checks and stores one (lists as "
            "a,b or a JSON array); config verify checks the store's consistency.",
    .params = kParams,
    .needs = kReadsConfig | kWritesConfig,  // set: write_config()
    .run = run,
};

}  // namespace hvym::commands
