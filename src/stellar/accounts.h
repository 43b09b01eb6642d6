// What the stellar-* commands share: reading the vault, getting a
// passphrase (a file, standard input or a hidden question; never an
// argument), picking an account, and writing in one transaction.
//
// Asking can take a person minutes, so no transaction is open while asking
// or deriving a key: the vault is read in one read transaction, then
// written in one write transaction that reloads it and checks that what the
// answers were based on still holds.
#pragma once
#include <string>
#include <string_view>

#include "unit/command.h"
#include "store/config.h"
#include "prompt/prompt.h"
#include "stellar/vault.h"

namespace hvym::accounts {

// The account names, for the shells' completion of an account argument
// (Param::values): the name column of stellar-list, its testnet mark taken off.
inline constexpr const char* kAccountNames =
    "command hvym stellar-list 2>/dev/null | cut -c61- | sed 's/  (testnet, [a-z ]*)$//'";

// The vault as it is now: read through the call's own read session
// (call.store's open_session()) when the dispatcher left one open, else in a read
// transaction closed again. False with a message on call.err.
bool snapshot(Call& call, Vault& v);

// A secret from FILE (its first line) or "-" (the call's standard input;
// `line` says which line, so two secrets can follow each other). Trailing
// "\r\n" dropped; an empty one is refused.
bool read_secret(Call& call, std::string_view file, size_t line, std::string& out, std::string& error);

// A secret from `file` when given (read_secret), else asked with `q`. kOk,
// or the exit status after a message.
int secret(Call& call, const Value& file, size_t line, const Question& q, std::string& out);
// The line of standard input the second of two secrets is on: 1 when both
// come from "-", else 0.
size_t second_line(const Value& first, const Value& second);

// The passphrase of an existing vault (from `file` when given, else asked
// hidden), and its key. kOk, or the exit status after a message.
int unlock(Call& call, const Vault& v, const Value& file, VaultKey& key, std::string& passphrase,
           size_t line = 0);

// The active account; a message when there is none.
int active(Call& call, const Vault& v, const Account*& out);

// A new passphrase: from `file` (line `line` of standard input for "-"),
// else asked twice. Must not be empty.
int new_passphrase(Call& call, const Value& file, size_t line, std::string_view message,
                   std::string& passphrase);

// The account named by `name` when given, else asked as a choice (the
// active one first). kOk, or the exit status after a message.
// closed: when given, a closed dialog (not a terminal cancel) is no error: it is set,
// out is the active account and kOk returned (stellar-set-account answers it).
int pick(Call& call, const Vault& v, const Value& name, std::string_view message, const Account*& out,
         bool* closed = nullptr);

// One write transaction on the vault.
class Write {
 public:
  // Opens it and reloads the vault. kOk or the exit status after a message.
  int begin(Call& call);
  Vault& vault() { return vault_; }
  Store& store() { return *store_; }
  // The key for the vault as it is now. `prepared`: the header made for a
  // vault that had none when `seen` was read; it is written when there is
  // still none. When another process set or changed the passphrase since,
  // the key is derived again from the stored header (and checked).
  int rekey(Call& call, const Vault& seen, std::string_view passphrase, VaultKey& key,
            const std::string& prepared);
  int commit(Call& call);
  // After commit, when the change removed secrets: old copies of the pages
  // are overwritten (Store::scrub_free_pages). A failure is a warning.
  void scrub(Call& call);
  // Reports a failed write and returns 1.
  int failed(Call& call, const std::string& error);

 private:
  ConfigSession session_;
  Store* store_ = nullptr;
  Vault vault_;
};

}  // namespace hvym::accounts
