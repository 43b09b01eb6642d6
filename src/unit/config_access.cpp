#include "unit/config_access.h"

#include <utility>

#include "store/config.h"

namespace hvym {

namespace {

// what: "writes the configuration", "uses the cache": a unit that does it
// without declaring it gets an internal error, not the access.
bool undeclared(const Call& call, const char* what) {
  call.err.line(std::string("hvym: internal error: ") + call.cmd.name + " " + what + " without declaring it");
  return false;
}

bool declared(const Call& call, uint32_t need, const char* what) {
  return (call.cmd.needs & need) || undeclared(call, what);
}

}  // namespace

Config& Call::config() const { return *store->values(); }

void StoreHandle::session_opened(bool keep_open) {
  values_ = &session_->config();
  open_ = keep_open;
  if (!keep_open) session_->release();
}

bool StoreHandle::read(Sink& err) {
  if (values_) return true;
  if (kind_ != Kind::Deferred || !session_->open(false, err)) return false;
  session_->release();
  values_ = &session_->config();
  return true;
}

void StoreHandle::end_read() {
  if (!open_) return;
  session_->release();
  open_ = false;
}

void end_read(Call& call) {
  if (call.store) call.store->end_read();
}

bool read_config(Call& call) {
  if (call.store && call.store->values()) return true;
  if (!call.store || call.store->kind() != StoreHandle::Kind::Deferred)
    return undeclared(call, "reads the configuration");
  return call.store->read(call.err);
}

int detail::write_config(Call& call, int (*change)(void*), void* context) {
  if (!declared(call, kWritesConfig, "writes the configuration")) return kFailed;
  end_read(call);
  ConfigSession session;
  if (!session.open(true, call.err)) return kFailed;
  StoreHandle writing(session.config());  // a unit that read nothing before
  StoreHandle* handle = call.store ? call.store : &writing;
  StoreHandle* had = std::exchange(call.store, handle);
  Config* before = handle->swap_values(&session.config());
  int status = change(context);
  handle->swap_values(before);
  call.store = had;
  if (status == kOk && !session.commit(call.err)) status = kFailed;
  return status;
}

std::optional<std::string> cached(const Call& call, std::string_view name) {
  if (!declared(call, kWritesCache, "uses the cache")) return std::nullopt;
  if (ConfigSession* own = call.store ? call.store->open_session() : nullptr) {  // no second session
    auto v = own->cached(name);
    return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
  }
  std::string ignored;
  StringSink quiet(ignored);
  ConfigSession session;
  if (!session.open(false, quiet)) return std::nullopt;
  auto v = session.cached(name);
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

void remember(Call& call, std::string_view name, std::string_view value) {
  if (!declared(call, kWritesCache, "uses the cache")) return;
  end_read(call);
  std::string ignored, error;
  StringSink quiet(ignored);
  ConfigSession session;
  if (session.open(true, quiet) && session.remember(name, value, error)) session.commit(quiet);
}

}  // namespace hvym
