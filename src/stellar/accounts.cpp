#include "stellar/accounts.h"


#include <algorithm>
#include <cerrno>
#include <cstring>

#include "unit/args.h"
#include "unit/config_access.h"
#include "unit/input.h"
#include "platform/fs.h"
#include "platform/process.h"
#include "prompt/prompt.h"
#include "stellar/keys.h"
#include "store/store.h"
#include "platform/wipe.h"

namespace hvym::accounts {
namespace {

constexpr size_t kMaxSecretText = 65536;

bool nth_line(std::string_view text, size_t line, std::string& out) {
  for (size_t i = 0; i < line; ++i) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return false;
    text.remove_prefix(nl + 1);
  }
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos && text.empty()) return false;
  out.assign(text.substr(0, nl));
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return true;
}

}  // namespace

bool snapshot(Call& call, Vault& v) {
  if (!stellar::crypto_ready()) return failure(call, "libsodium cannot start"), false;
  // The call's own read session when the dispatcher left it open.
  ConfigSession* open = call.store ? call.store->open_session() : nullptr;
  ConfigSession own;
  if (!open && !own.open(false, call.err)) return false;
  ConfigSession& session = open ? *open : own;
  if (!session.has_store()) return true;  // an empty vault
  std::string error;
  if (!v.load(session.store(), error)) return failure(call, error), false;
  return true;
}

bool read_secret(Call& call, std::string_view file, size_t line, std::string& out, std::string& error) {
  guard_secrets();
  std::string owned;
  std::string_view text;
  if (file == "-") {
    // The call's input, read once: two secrets may follow each other on it.
    if (!call.input->all(kMaxSecretText, text, error)) return false;
  } else {
    int fd = fs::open_read(std::string(file));
    if (fd < 0) return error = "cannot open " + std::string(file) + ": " + std::strerror(errno), false;
    bool read = fs::read_fd(fd, owned, 65536 + 4096) || errno == EFBIG;  // past 64 KiB: no secret file
    close_fd(fd);
    if (!read) return error = "cannot read " + std::string(file) + ": " + std::strerror(errno), false;
    text = owned;
  }
  std::string n = std::to_string(line + 1);
  if (!nth_line(text, line, out))
    return error = file == "-" ? "standard input has no line " + n : std::string(file) + " is empty", false;
  std::string where = file == "-" ? "line " + n + " of standard input" : std::string(file);
  // An empty secret is a mistake (a closed pipe, an empty file), never a value.
  if (out.empty()) return error = where + " is empty; nothing changed", false;
  return true;
}

int secret(Call& call, const Value& file, size_t line, const Question& q, std::string& out) {
  guard_secrets();
  if (file.given) {
    std::string error;
    return read_secret(call, file.text, line, out, error) ? kOk : failure(call, error + ".");
  }
  Answer a = ask(call, q);
  if (a.outcome != Outcome::Answered) return unanswered(call, a);
  out = std::move(a.text);
  return kOk;
}

size_t second_line(const Value& first, const Value& second) {
  return first.given && first.text == "-" && second.given && second.text == "-" ? 1 : 0;
}

int unlock(Call& call, const Vault& v, const Value& file, VaultKey& key, std::string& passphrase, size_t line) {
  int status = secret(call, file, line,
                      {.kind = Ask::Secret, .what = "the vault passphrase", .message = "Passphrase of the Stellar vault:"},
                      passphrase);
  if (status != kOk) return status;
  std::string error;
  if (!v.unlock(passphrase, key, error)) return failure(call, error + "; nothing changed.");
  return kOk;
}

// A passphrase of nothing but blanks protects nothing.
bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

int new_passphrase(Call& call, const Value& file, size_t line, std::string_view message,
                   std::string& passphrase) {
  if (file.given) {  // from a file: no second reading to compare
    int status = secret(call, file, line, {.kind = Ask::Secret, .what = "a new vault passphrase", .message = message},
                        passphrase);
    if (status != kOk) return status;
    return blank(passphrase) ? failure(call, "the passphrase is empty or only spaces; nothing changed.") : kOk;
  }
  // Asked: typed twice; a slip is asked again, three times at most.
  for (int attempt = 1;; ++attempt) {
    int status = secret(call, file, line, {.kind = Ask::Secret, .what = "a new vault passphrase", .message = message},
                        passphrase);
    if (status != kOk) return status;
    std::string again;
    if (!blank(passphrase))
      status = secret(call, file, line,
                      {.kind = Ask::Secret, .what = "the passphrase again", .message = "The same passphrase again:"},
                      again);
    bool same = again == passphrase;
    wipe(again);
    if (status != kOk) return status;
    const char* why = blank(passphrase) ? "the passphrase is empty or only spaces"
                      : !same               ? "the two passphrases differ"
                                            : nullptr;
    if (!why) return kOk;
    wipe(passphrase);
    passphrase.clear();
    if (attempt == 3) return failure(call, std::string(why) + " (3 tries); nothing changed.");
    call.err.line(std::string(why) + "; type it again.");
  }
}

int active(Call& call, const Vault& v, const Account*& out) {
  out = v.active();
  return out ? kOk : failure(call, "there are no Stellar accounts yet (stellar-new-account makes one).");
}

int pick(Call& call, const Vault& v, const Value& name, std::string_view message, const Account*& out,
         bool* closed) {
  const Account* active_one = nullptr;
  if (int status = active(call, v, active_one); status != kOk) return status;
  if (name.given) {
    out = v.find(name.text);
    if (!out) return failure(call, "no account is named " + py_repr(name.text) + ".");
    return kOk;
  }
  std::vector<std::string_view> names;
  names.push_back(active_one->name);
  for (const Account& a : v.accounts())
    if (&a != active_one) names.push_back(a.name);
  Answer a = ask(call, {.kind = Ask::Choice, .what = "the account", .message = message,
                        .initial = active_one->name, .choices = names});
  if (closed && a.outcome == Outcome::Cancelled && !a.on_terminal) {
    *closed = true;  // the dialog was closed: the active account stays
    out = active_one;
    return kOk;  // the caller answers it
  }
  if (a.outcome != Outcome::Answered) return unanswered(call, a);
  out = v.find(a.text);
  return out ? kOk : failure(call, "no account is named " + py_repr(a.text) + ".");
}

int Write::begin(Call& call) {
  if (!session_.open(true, call.err)) return kFailed;
  std::string error;
  store_ = session_.writable_store(error);
  if (!store_) return failed(call, error);
  if (!vault_.load(*store_, error)) return failed(call, error);
  return kOk;
}

int Write::rekey(Call& call, const Vault& seen, std::string_view passphrase, VaultKey& key,
                 const std::string& prepared) {
  std::string error;
  if (vault_.header().empty()) {
    std::string header = prepared;
    if (header.empty() && !Vault::new_header(passphrase, key, header, error)) return failed(call, error);
    if (!Vault::put_header(*store_, header, error)) return failed(call, error);
    return kOk;
  }
  if (vault_.header() == seen.header()) return kOk;
  // Another process made the vault, or changed its passphrase, meanwhile.
  if (!vault_.unlock(passphrase, key, error)) return failure(call, error + "; nothing changed.");
  return kOk;
}

int Write::commit(Call& call) { return session_.commit(call.err) ? kOk : kFailed; }

void Write::scrub(Call& call) {
  std::string error;
  if (store_ && !store_->scrub_free_pages(error))
    call.err.line("Warning: old copies of the removed secrets may remain in the store's free pages: " + error);
}

int Write::failed(Call& call, const std::string& error) {
  return failure(call, error + "; nothing changed.");
}

}  // namespace hvym::accounts
