// What a command unit may read and write of the store, handed out by the
// dispatch layer: units open no store session themselves. Reading is
// prepared before a unit runs (kReadsConfig: call.config), or, for a unit
// that may ask (kMayPrompt), done when it calls read_config(); writing
// happens when the unit says, so a setter reads, asks and only then
// writes, and no transaction is open while a person answers.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "unit/command.h"

namespace hvym {

namespace detail {
int write_config(Call& call, int (*change)(void*), void* context);
}

// kWritesConfig: runs change() with call.config on a write transaction of
// its own (values read afresh: another process may have written since the
// call began), committed when change returns kOk, dropped otherwise. The
// call's read transaction ends first; after it, call.config is what it was
// before (the values the call began with). A command that did not declare
// kWritesConfig gets an internal error (exit 1) and writes nothing.
template <class F>
int write_config(Call& call, F&& change) {
  using Fn = std::remove_reference_t<F>;
  return detail::write_config(call, [](void* f) -> int { return (*static_cast<Fn*>(f))(); },
                              const_cast<void*>(static_cast<const void*>(&change)));
}

// kWritesCache: answers remembered about the machine ("cache/NAME"), read
// through the call's own read session when it has one (kReadsConfig, not
// a batch snapshot: probes on batch's threads never share a transaction),
// otherwise in a short one; remembered in a write transaction of its own. A store that cannot be read or written only costs the next
// call the same work: nothing is said.
// remember() ends the call's read transaction first (a second environment
// of the same file must not be open beside it: LMDB's locks are per process).
std::optional<std::string> cached(const Call& call, std::string_view name);
void remember(Call& call, std::string_view name, std::string_view value);

// Ends the call's read transaction now, before slow work (its values stay
// readable through call.config).
void end_read(Call& call);

// kReadsConfig | kMayPrompt: call.config, read now in a read transaction
// closed again at once (no question may hold the store), or the values
// already read. False with a message on call.err when the store cannot be
// read.
bool read_config(Call& call);

}  // namespace hvym
