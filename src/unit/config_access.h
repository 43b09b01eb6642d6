// What a command unit may read and write of the store, handed out by the
// dispatch layer: units open no store session themselves (the Stellar
// layer's own sessions aside: kOwnReads, kOwnWrites). Reading is prepared
// before a unit runs (kReadsConfig: call.config()), or, for a unit that may
// ask (kMayPrompt), done when it calls read_config(); writing happens when
// the unit says, so a setter reads, asks and only then writes, and no
// transaction is open while a person answers.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "io/sink.h"
#include "unit/command.h"

namespace hvym {

class Config;
class ConfigSession;

// The call's one handle on the store (Call::store). Its kind follows from
// the unit's flags and where it runs:
//   Session   kReadsConfig: one read session of the call's own, open while
//             the unit runs (kExclusive: released before it runs, its
//             values kept; long work must not pin the store's pages);
//   Deferred  kReadsConfig | kMayPrompt: nothing read until read_config();
//   Snapshot  kReadsConfig in batch/serve: the values the batch read once,
//             shared by its requests; no transaction of the call's own.
class StoreHandle {
 public:
  enum class Kind : uint8_t { Session, Deferred, Snapshot };
  // Session or Deferred over the dispatcher's session (opened by it for
  // Session, then given to session_opened()).
  StoreHandle(Kind kind, ConfigSession& session) : kind_(kind), session_(&session) {}
  // Snapshot: values read once by a batch.
  explicit StoreHandle(Config& snapshot) : kind_(Kind::Snapshot), values_(&snapshot) {}
  StoreHandle(const StoreHandle&) = delete;
  StoreHandle& operator=(const StoreHandle&) = delete;

  Kind kind() const { return kind_; }
  // The values read, or null (Deferred before read_config()). Inside
  // write_config(): the values being written.
  Config* values() const { return values_; }
  // The call's read session while it is open (cached() reads through it;
  // config verify looks at the store itself), else null.
  ConfigSession* open_session() const { return open_ ? session_ : nullptr; }

  // The dispatcher opened the session: its values are the call's; with
  // keep_open false the session is released at once (kExclusive).
  void session_opened(bool keep_open);
  // Deferred: opens the session, takes its values and releases it. False
  // with a message on err when the store cannot be read.
  bool read(Sink& err);
  // Releases the read session (its values stay readable).
  void end_read();
  // write_config(): the values `call.config()` answers with meanwhile.
  Config* swap_values(Config* v) {
    Config* before = values_;
    values_ = v;
    return before;
  }

 private:
  Kind kind_;
  ConfigSession* session_ = nullptr;
  Config* values_ = nullptr;
  bool open_ = false;
};

namespace detail {
int write_config(Call& call, int (*change)(void*), void* context);
}

// kWritesConfig: runs change() with call.config() on a write transaction
// of its own (values read afresh: another process may have written since
// the call began), committed when change returns kOk, dropped otherwise.
// The call's read transaction ends first; after it, call.config() is what
// it was before (the values the call began with). A command that did not declare
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
// readable through call.config()).
void end_read(Call& call);

// kReadsConfig | kMayPrompt: call.config(), read now in a read transaction
// closed again at once (no question may hold the store), or the values
// already read. False with a message on call.err when the store cannot be
// read.
bool read_config(Call& call);

}  // namespace hvym
