#include "store/config.h"

#include <simdjson.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>

#include "store/legacy_import.h"
#include "store/paths.h"
#include "platform/sys.h"
#include "json/pyconv.h"

namespace hvym {
namespace {

#define HVYM_KEY_SPEC(key, name, kind, fallback, help) {Key::key, name, ValueKind::kind, fallback, help},
constexpr KeySpec kSpecs[] = {HVYM_CONFIG_KEYS(HVYM_KEY_SPEC)};
#undef HVYM_KEY_SPEC
static_assert(std::size(kSpecs) == kKeyCount, "one KeySpec per Key");


bool has_control(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7F) return true;
  return false;
}

std::string_view machine_platform(std::string& storage) {
  storage = sys::machine();
  if (storage.empty()) return "linux-amd64";
  for (const char* a : {"x86_64", "amd64", "intel64", "i386", "i686"})
    if (storage == a) return "linux-amd64";
  for (const char* a : {"aarch64", "arm64", "armv8", "armv7l", "arm"})
    if (storage == a) return "linux-arm64";
  return storage;  // the original uses the machine's own name
}

}  // namespace

const KeySpec& spec(Key k) { return kSpecs[static_cast<size_t>(k)]; }

std::optional<Key> key_named(std::string_view name) {
  for (size_t i = 0; i < kKeyCount; ++i)
    if (name == kSpecs[i].name) return static_cast<Key>(i);
  return std::nullopt;
}

std::vector<std::string_view> list_elements(std::string_view list) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    size_t nl = list.find('\n', start);
    out.push_back(list.substr(start, nl == std::string_view::npos ? nl : nl - start));
    if (nl == std::string_view::npos) return out;
    start = nl + 1;
  }
}

std::string list_with_first(std::string_view list, std::string_view first) {
  std::string out(first);
  for (std::string_view e : list_elements(list))
    if (e != first) out.append("\n").append(e);
  return out;
}

std::string dapp_name(std::string_view network) {
  std::string storage;
  std::string name = "pintheon-";
  name += network;
  name += '-';
  name += machine_platform(storage);
  return name;
}

std::string check_value(Key k, std::string_view v) {
  switch (spec(k).kind) {
    case ValueKind::Text:
      if (has_control(v)) return "control characters are not allowed";
      if (k == Key::PintheonDapp || k == Key::PintheonRegistry) {
        bool registry = k == Key::PintheonRegistry;
        if (v.empty()) return "must not be empty";
        for (char c : v)
          if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
              !(registry && (c == '/' || c == ':')))
            return registry ? "must be a registry path (letters, digits, '-', '_', '.', '/', ':')"
                            : "must be a Docker image name (letters, digits, '-', '_', '.')";
      }
      return "";
    case ValueKind::Url:
      if (has_control(v)) return "control characters are not allowed";
      if (v.substr(0, 7) != "http://" && v.substr(0, 8) != "https://") return "must be an http:// or https:// URL";
      if (v.find(' ') != std::string_view::npos) return "must not contain spaces";
      return "";
    case ValueKind::List: {
      if (v.empty()) return "must have at least one element";
      auto items = list_elements(v);
      for (size_t i = 0; i < items.size(); ++i) {
        if (items[i].empty()) return "elements must not be empty";
        if (has_control(items[i])) return "control characters are not allowed";
        for (size_t j = 0; j < i; ++j)
          if (items[j] == items[i]) return "'" + std::string(items[i]) + "' is listed twice";
      }
      return "";
    }
    case ValueKind::Port: {
      std::string digits;
      if (!py::parse_int(v, digits) || digits != v) return "must be a whole number";
      if (digits.size() > 5 || std::stoi(digits) < 1 || std::stoi(digits) > 65535)
        return "must be between 1 and 65535";
      return "";
    }
    case ValueKind::Number: {
      double d;
      if (v.empty()) return "";
      if (!py::parse_float(v, d) || !std::isfinite(d)) return "must be a number";
      return "";
    }
    case ValueKind::Status:
      for (const char* w : {"stopped", "starting", "running", "error"})
        if (v == w) return "";
      return "must be stopped, starting, running or error";
    case ValueKind::Count: {
      if (v.empty()) return "";
      std::string digits;
      if (!py::parse_int(v, digits) || digits != v || v[0] == '-' || v.size() > 10)
        return "must be a whole number >= 0";
      return "";
    }
  }
  return "";
}

std::string image_ref(const Config& cfg) {
  return std::string(cfg.get(Key::PintheonRegistry)) + "/" + std::string(cfg.get(Key::PintheonDapp)) +
         ":latest";
}

bool encode_input(Key k, std::string_view input, std::string& encoded, std::string& why) {
  switch (spec(k).kind) {
    case ValueKind::List:
      encoded.clear();
      if (!input.empty() && input.front() == '[') {
        simdjson::dom::parser parser;
        simdjson::dom::array arr;
        if (parser.parse(input.data(), input.size()).get(arr) != simdjson::SUCCESS) {
          why = "not a JSON array of strings";
          return false;
        }
        for (auto e : arr) {
          std::string_view s;
          if (e.get(s) != simdjson::SUCCESS) {
            why = "not a JSON array of strings";
            return false;
          }
          if (has_control(s)) {  // a line end in one would make it two elements once stored
            why = "control characters are not allowed";
            return false;
          }
          if (!encoded.empty()) encoded += '\n';
          encoded += s;
        }
        if (arr.size() == 0) encoded.clear();
      } else {
        for (size_t start = 0;;) {
          size_t comma = input.find(',', start);
          std::string_view word = py::strip(input.substr(start, comma == std::string_view::npos
                                                                      ? comma
                                                                      : comma - start));
          if (start) encoded += '\n';
          encoded += word;
          if (comma == std::string_view::npos) break;
          start = comma + 1;
        }
      }
      break;
    case ValueKind::Port:
    case ValueKind::Count: {
      std::string digits;
      if (!input.empty() && !py::parse_int(input, digits)) {
        why = "must be a whole number";
        return false;
      }
      encoded = digits;
      break;
    }
    case ValueKind::Number: {
      double d;
      if (!py::parse_float(input, d)) {
        why = "must be a number";
        return false;
      }
      char buf[py::kFloatBuf];
      encoded.assign(buf, py::float_repr(d, buf));
      break;
    }
    default:
      encoded.assign(input);
  }
  why = check_value(k, encoded);
  return why.empty();
}

// --- Config ---------------------------------------------------------------

std::string_view Config::own(std::string s) {
  owned_.push_back(std::move(s));
  return owned_.back();
}

void Config::detach() {
  for (auto& v : values_)
    if (v) v = own(std::string(*v));
  store_ = nullptr;
}

void ConfigSession::release() {
  config_.detach();
  store_.close();
}

std::string_view Config::get(Key k) const {
  const auto& v = values_[static_cast<size_t>(k)];
  if (v) return *v;
  if (k == Key::PintheonDapp) {
    if (derived_dapp_.empty()) derived_dapp_ = dapp_name(first_of(get(Key::PintheonNetworks)));
    return derived_dapp_;
  }
  return spec(k).fallback;
}

bool Config::set(Key k, std::string_view encoded, std::string& error) {
  if (!store_ && session_ && session_->create_on_write_ && !session_->create_now(error))
    return false;
  if (!store_ || !store_->writable()) {
    error = "the configuration is not open for writing";
    return false;
  }
  if (!store_->put(std::string("config/") + spec(k).name, encoded, error)) return false;
  values_[static_cast<size_t>(k)] = own(std::string(encoded));
  derived_dapp_.clear();
  return true;
}

// --- ConfigSession --------------------------------------------------------

bool ConfigSession::read_values(bool strict, Sink& err) {
  std::string error;
  std::string bad;
  bool ok = store_.scan("config/", [&](std::string_view key, std::string_view value) {
    auto k = key_named(key.substr(7));
    if (!k) return;  // a key of a newer hvym: left alone
    if (strict && bad.empty()) {
      std::string why = check_value(*k, value);
      if (!why.empty()) bad = std::string(key.substr(7)) + " " + why;
    }
    config_.values_[static_cast<size_t>(*k)] = value;
  }, error);
  if (!ok) {
    err.line("Error: " + error);
    return false;
  }
  if (!bad.empty()) {
    err.line("Error: " + Store::path_in(dir_) + " holds an invalid value: " + bad +
             " (hvym config set can replace it)");
    return false;
  }
  return true;
}

namespace {
constexpr const char* kFixHint =
    "; fix or move it away, or import another file with hvym migrate --from PATH";
}

bool ConfigSession::answer_from_legacy(const ImportPlan& plan, const std::string& why,
                                       Sink& err) {
  err.line("Warning: " + why + "; answering from " + plan.source + " without importing it");
  for (const auto& [key, value] : plan.records) {
    if (key.rfind("config/", 0) != 0) continue;
    if (auto k = key_named(std::string_view(key).substr(7)))
      config_.values_[static_cast<size_t>(*k)] = config_.own(value);
  }
  return true;
}

ConfigSession::NoStore ConfigSession::import_legacy(bool write, Sink& err) {
  DataFile legacy = find_legacy(dir_, folder_);
  if (!legacy.found()) return NoStore::Defaults;
  std::string error;
  ImportPlan plan;
  if (!plan_import(legacy, plan, error)) {
    if (write) {
      err.line("Error: " + error + kFixHint);
      return NoStore::Failed;
    }
    err.line("Warning: " + error + "; answering defaults");
    return NoStore::Answered;
  }
  bool made = (folder_.is_open() || make_data_dir(dir_, folder_, error)) &&
              Store::create(folder_, [&](Store& s, std::string& e) {
    return apply_import(s, plan, e) && stamp_new_store(s, e);
  }, error);
  if (made) return NoStore::Created;
  if (write) {
    err.line("Error: " + error);
    return NoStore::Failed;
  }
  answer_from_legacy(plan, error, err);  // a folder this user cannot write
  return NoStore::Answered;
}

bool ConfigSession::open(bool write, Sink& err) {
  dir_ = ::hvym::data_dir();  // the free function, not the accessor
  config_.session_ = this;
  if (dir_.empty()) {
    if (!write) return true;  // no HOME: defaults
    err.line("Error: no data folder: set HOME or HVYM_HOME");
    return false;
  }
  std::string error;
  // The folder is opened once and checked on that descriptor; the store and
  // the legacy files are reached through it (store/paths.h).
  if (!open_data_dir(dir_, folder_, error)) {
    err.line("Error: " + error);
    return false;
  }
  // Queries: one look tells whether there is a store, and opening uses it.
  Store::Opened opened = Store::Opened::Missing;
  if (!write) opened = store_.open_existing(folder_, error);
  else if (Store::exists(folder_)) opened = store_.open(folder_, true, error) ? Store::Opened::Yes : Store::Opened::Failed;

  if (opened == Store::Opened::Missing) {
    switch (import_legacy(write, err)) {
      case NoStore::Defaults:
        create_on_write_ = write;  // a writer creates the store at its first set
        return true;
      case NoStore::Answered: return true;
      case NoStore::Failed: return false;
      case NoStore::Created:
        opened = store_.open(folder_, write, error) ? Store::Opened::Yes : Store::Opened::Failed;
    }
  }
  if (opened == Store::Opened::Failed) {
    err.line("Error: " + error);
    return false;
  }
  auto version = store_.get("meta/schema_version", error);
  if (!error.empty() || !version) {
    err.line("Error: " + (error.empty() ? Store::path_in(dir_) + " is damaged (no schema record)" : error));
    return false;
  }
  if (std::atoi(std::string(*version).c_str()) > kSchemaVersion) {
    err.line("Error: " + Store::path_in(dir_) + " was written by a newer hvym (schema " +
             std::string(*version) + ")");
    return false;
  }
  config_.store_ = &store_;
  return read_values(!write, err);
}

bool ConfigSession::create_now(std::string& error) {
  // Another first writer may create it meanwhile: then this write simply
  // follows theirs, as concurrent setters do.
  if ((!folder_.is_open() && !make_data_dir(dir_, folder_, error)) ||
      !Store::create(folder_, stamp_new_store, error) || !store_.open(folder_, true, error))
    return false;
  config_.store_ = &store_;
  create_on_write_ = false;
  return true;
}

std::optional<std::string_view> ConfigSession::cached(std::string_view name) {
  if (!config_.store_) return std::nullopt;
  std::string error;
  return store_.get("cache/" + std::string(name), error);
}

Store* ConfigSession::writable_store(std::string& error) {
  if (!config_.store_ && create_on_write_ && !create_now(error)) return nullptr;
  if (!config_.store_ || !store_.writable()) {
    if (error.empty()) error = "the store is not open for writing";
    return nullptr;
  }
  return &store_;
}

bool ConfigSession::remember(std::string_view name, std::string_view value, std::string& error) {
  Store* store = writable_store(error);
  return store && store->put("cache/" + std::string(name), value, error);
}

bool ConfigSession::commit(Sink& err) {
  if (!config_.store_) return true;  // nothing was written
  std::string error;
  if (!store_.commit(error)) {
    err.line("Error: " + error);
    return false;
  }
  return true;
}

}  // namespace hvym
