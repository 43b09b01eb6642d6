#include "unit/config_access.h"

#include "store/config.h"

namespace hvym {

namespace {

// what: "writes the configuration", "uses the cache"
bool declared(const Call& call, uint32_t need, const char* what) {
  if (call.cmd.needs & need) return true;
  call.err.line(std::string("hvym: internal error: ") + call.cmd.name + " " + what + " without declaring it");
  return false;
}

}  // namespace

void end_read(Call& call) {
  if (!call.session) return;
  call.session->release();
  call.session = nullptr;
}

bool read_config(Call& call) {
  if (call.config) return true;
  if (!call.deferred) {
    call.err.line(std::string("hvym: internal error: ") + call.cmd.name + " reads the configuration without declaring it");
    return false;
  }
  if (!call.deferred->open(false, call.err)) return false;
  call.deferred->release();
  call.config = &call.deferred->config();
  return true;
}

int detail::write_config(Call& call, int (*change)(void*), void* context) {
  if (!declared(call, kWritesConfig, "writes the configuration")) return kFailed;
  end_read(call);
  ConfigSession session;
  if (!session.open(true, call.err)) return kFailed;
  Config* before = call.config;
  call.config = &session.config();
  int status = change(context);
  call.config = before;
  if (status == kOk && !session.commit(call.err)) status = kFailed;
  return status;
}

std::optional<std::string> cached(const Call& call, std::string_view name) {
  if (!declared(call, kWritesCache, "uses the cache")) return std::nullopt;
  if (call.session) {  // the call's own read session: no second one
    auto v = call.session->cached(name);
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
