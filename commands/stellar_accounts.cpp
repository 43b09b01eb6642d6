// Stellar accounts: stellar-new-account, stellar-new-testnet-account,
// stellar-set-account, stellar-remove-account, stellar-list. Keys come from
// 24 recovery words (SEP-0005); secrets live sealed in the vault.
#include <sodium.h>
#include <time.h>

#include "stellar/accounts.h"
#include "unit/args.h"
#include "unit/command.h"
#include "unit/config_access.h"
#include "net/friendbot.h"
#include "json/json_writer.h"
#include "prompt/prompt.h"
#include "stellar/keys.h"
#include "platform/wipe.h"

namespace hvym::commands {
namespace {

using accounts::Write;

// --- stellar-new-account, stellar-new-testnet-account ---------------------
constexpr Param kNewParams[] = {
    {Kind::Option, Type::String, "--name", nullptr, "Name of the account (asked when not given).", true},
    {Kind::Option, Type::String, "--passphrase-file", nullptr,
     "Read the vault passphrase from the first line of FILE ('-': standard input).", true},
    {Kind::Option, Type::String, "--mnemonic-file", nullptr,
     "Recover the account from the words in FILE ('-': standard input) instead of making new ones.", true},
    {Kind::Flag, Type::Bool, "--show-mnemonic", nullptr,
     "Print the new words on standard output (second line) instead of showing them in a dialog.", true},
};
constexpr size_t kName = param(kNewParams, "--name");
constexpr size_t kPassphraseFile = param(kNewParams, "--passphrase-file");
constexpr size_t kMnemonicFile = param(kNewParams, "--mnemonic-file");
constexpr size_t kShowMnemonic = param(kNewParams, "--show-mnemonic");

// The words numbered in two columns (1-12, 13-24), every one in view.
std::string numbered(const std::string& words) {
  std::vector<std::string_view> w;
  for (size_t i = 0; i < words.size();) {
    size_t sp = words.find(' ', i);
    if (sp == std::string::npos) sp = words.size();
    if (sp > i) w.emplace_back(words.data() + i, sp - i);
    i = sp + 1;
  }
  size_t rows = (w.size() + 1) / 2;
  std::string out = "Recovery words:\n\n";
  auto cell = [&](size_t k) { return (k + 1 < 10 ? " " : "") + std::to_string(k + 1) + ". " + std::string(w[k]); };
  for (size_t r = 0; r < rows; ++r) {
    std::string left = cell(r);
    out += left;
    if (r + rows < w.size()) out += std::string(left.size() < 18 ? 18 - left.size() : 1, ' ') + cell(r + rows);
    out += '\n';
  }
  return out;
}

// The words, shown once; nothing is stored unless they were seen.
int show_words(Call& call, const std::string& words) {
  std::string text = numbered(words);
  Answer a = ask(call, {.kind = Ask::Copy,
                        .what = "the recovery words to be seen",
                        .message = "Write down these 24 words and keep them secret: they recover the "
                                   "account. They are shown only this once.",
                        .initial = text,
                        .secret_text = true});
  wipe(text);
  if (a.outcome == Outcome::Answered) return kOk;
  if (a.outcome == Outcome::Cancelled) return unanswered(call, a);  // nothing was made
  return failure(call, a.error + " (or use --show-mnemonic); no account was made.");
}

double now_seconds() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The new account's name: --name, else asked; checked against the vault as read.
int new_name(Call& call, bool testnet, const Vault& seen, std::string& name) {
  if (call[kName].given) {
    name = call[kName].text;
  } else {
    Answer a = ask(call, {.kind = Ask::Line, .what = "the account name",
                          .message = testnet ? "Name of the new testnet account:" : "Name of the new account:"});
    if (a.outcome != Outcome::Answered) return unanswered(call, a);
    name = std::move(a.text);
  }
  if (std::string why = Vault::check_name(name); !why.empty()) return usage_error(call, why + ".");
  if (seen.find(name)) return failure(call, "an account named " + py_repr(name) + " exists already.");
  return kOk;
}

// The words of --mnemonic-file, checked; the text read is wiped.
int recovered_words(Call& call, Secrets& secrets) {
  std::string text, why;
  if (!accounts::read_secret(call, call[kMnemonicFile].text, 0, text, why)) return failure(call, why + ".");
  bool ok = stellar::check_mnemonic(text, secrets.mnemonic, why);
  sodium_memzero(text.data(), text.size());
  if (!ok) return failure(call, "those are not recovery words: " + why + ".");
  return kOk;
}

// The vault's key: unlocked, or made with a new passphrase (and `prepared`,
// the header to store) when the vault has none yet.
int vault_key(Call& call, const Vault& seen, VaultKey& key, std::string& passphrase, std::string& prepared) {
  int status = seen.has_passphrase()
                   ? accounts::unlock(call, seen, call[kPassphraseFile], key, passphrase)
                   : accounts::new_passphrase(call, call[kPassphraseFile], 0, "New passphrase for the Stellar vault:",
                                              passphrase);
  if (status != kOk) return status;
  std::string error;
  if (!seen.has_passphrase() && !Vault::new_header(passphrase, key, prepared, error)) return failure(call, error + ".");
  return kOk;
}

// The account sealed into the vault and made active, in one write; the
// vault is checked again, as another process may have changed it since.
int store_account(Call& call, const Vault& seen, std::string& passphrase, VaultKey& key,
                  const std::string& prepared, Account& account, const Secrets& secrets) {
  Write w;
  int status;
  std::string error;
  if ((status = w.begin(call)) != kOk) return status;
  if ((status = w.rekey(call, seen, passphrase, key, prepared)) != kOk) return status;
  sodium_memzero(passphrase.data(), passphrase.size());
  if (w.vault().find(account.name))
    return failure(call, "an account named " + py_repr(account.name) + " exists already.");
  if (const Account* same = w.vault().find_key(account.public_key))
    return failure(call, "this account is in the vault already, as " + py_repr(same->name) + ".");
  account.created = w.vault().next_number();
  Vault::seal(key, account, secrets, account.sealed);
  if (!Vault::put_account(w.store(), account, error) || !Vault::set_next(w.store(), account.created + 1, error) ||
      !Vault::set_active(w.store(), account.name, error))
    return w.failed(call, error);
  return w.commit(call);
}

// A stored testnet account funded through Friendbot, and marked so. Funding
// talks to the network: only after the account is safely stored.
int fund_account(Call& call, const std::string& name, const std::string& public_key) {
  call.out.flush();
  std::string base = read_config(call) ? std::string(call.config().get(Key::StellarFriendbotUrl)) : "";
  Funding f = fund_testnet(base, public_key);
  if (!f.funded) {
    call.err.line("Warning: the account was not funded: " + f.why + ". Fund it later at " + base +
                  "/?addr=" + public_key);
    return kOk;
  }
  Write fw;
  int status;
  std::string error;
  if ((status = fw.begin(call)) != kOk) return status;
  if (const Account* now = fw.vault().find(name); now && now->public_key == public_key) {
    Account funded = *now;
    funded.funded = true;
    funded.funded_at = now_seconds();
    if (!Vault::put_account(fw.store(), funded, error)) return fw.failed(call, error);
    if ((status = fw.commit(call)) != kOk) return status;
  }
  call.err.line("Funded by Friendbot.");
  return kOk;
}

int new_account(Call& call, bool testnet) {
  Vault seen;
  if (!accounts::snapshot(call, seen)) return kFailed;
  std::string name;
  if (int status = new_name(call, testnet, seen, name); status != kOk) return status;

  Secrets secrets;
  bool recovering = call[kMnemonicFile].given;
  if (recovering) {
    if (int status = recovered_words(call, secrets); status != kOk) return status;
  } else {
    secrets.mnemonic = stellar::new_mnemonic();
  }
  auto seed = stellar::mnemonic_seed(secrets.mnemonic);
  auto key32 = stellar::derive_account(seed, 0);
  stellar::KeyPair kp = stellar::keypair_from_seed(key32);
  sodium_memzero(seed.data(), seed.size());
  sodium_memzero(key32.data(), key32.size());
  secrets.secret_key = kp.secret_key;
  sodium_memzero(kp.secret_key.data(), kp.secret_key.size());
  if (const Account* same = seen.find_key(kp.public_key))
    return failure(call, "this account is in the vault already, as " + py_repr(same->name) + ".");

  VaultKey key;
  std::string passphrase, prepared;
  int status = vault_key(call, seen, key, passphrase, prepared);
  if (status != kOk) return status;
  bool print_words = call[kShowMnemonic].b && !recovering;
  if (!recovering && !print_words && (status = show_words(call, secrets.mnemonic)) != kOk) return status;

  Account account{.name = name, .public_key = kp.public_key, .x25519_pub = kp.x25519_pub, .testnet = testnet};
  if (testnet) account.funded = false;
  if ((status = store_account(call, seen, passphrase, key, prepared, account, secrets)) != kOk) return status;

  call.out.line(kp.public_key);
  if (print_words) call.out.line(secrets.mnemonic);
  call.err.line("Account " + name + (recovering ? " recovered" : " created") + "; it is the active account.");
  if (!testnet) return kOk;
  return fund_account(call, name, kp.public_key);
}

int run_new(Call& call) { return new_account(call, false); }
int run_new_testnet(Call& call) { return new_account(call, true); }

// --- stellar-set-account ---------------------------------------------------
constexpr Param kSetParams[] = {
    {Kind::Argument, Type::String, "name", nullptr, "the account (asked when not given)", true, accounts::kAccountNames},
    {Kind::Flag, Type::Bool, "--quiet", "-q", "No confirmation.", true},
};

int run_set(Call& call) {
  Vault seen;
  if (!accounts::snapshot(call, seen)) return kFailed;
  const Account* chosen = nullptr;
  bool closed = false;
  if (int status = accounts::pick(call, seen, call[param(kSetParams, "name")], "Choose Account:", chosen, &closed);
      status != kOk)
    return status;
  std::string name = chosen->name;
  if (closed) return call.out.line(name), kOk;  // as the original: the active account, unchanged
  Write w;
  std::string error;
  if (int status = w.begin(call); status != kOk) return status;
  if (!w.vault().find(name)) return failure(call, "no account is named " + py_repr(name) + " any more.");
  if (!Vault::set_active(w.store(), name, error)) return w.failed(call, error);
  if (int status = w.commit(call); status != kOk) return status;
  call.out.line(name);
  if (!call[param(kSetParams, "--quiet")].b) call.err.line("Account has been changed to: " + name);
  return kOk;
}

// --- stellar-remove-account --------------------------------------------------
constexpr Param kRemoveParams[] = {
    {Kind::Argument, Type::String, "name", nullptr, "the account (asked when not given)", true, accounts::kAccountNames},
    {Kind::Flag, Type::Bool, "--yes", "-y", "Do not ask for confirmation.", true},
};

int run_remove(Call& call) {
  Vault seen;
  if (!accounts::snapshot(call, seen)) return kFailed;
  const Account* chosen = nullptr;
  if (int status = accounts::pick(call, seen, call[param(kRemoveParams, "name")], "Remove Account:", chosen);
      status != kOk)
    return status;
  std::string name = chosen->name, public_key = chosen->public_key;
  if (!call[param(kRemoveParams, "--yes")].b) {
    std::string message = "Remove the account " + name + " (" + public_key +
                          ")? Only its 24 words can bring it back.";
    Answer a = ask(call, {.kind = Ask::YesNo, .what = "a confirmation (or give --yes)", .message = message});
    if (a.outcome != Outcome::Answered) return unanswered(call, a);
  }
  Write w;
  std::string error;
  if (int status = w.begin(call); status != kOk) return status;
  const auto& list = w.vault().accounts();
  const Account* gone = w.vault().find(name);
  if (!gone || gone->public_key != public_key) return failure(call, "the account " + py_repr(name) + " changed meanwhile; nothing removed.");
  // The next account (in creation order) becomes active, else the one before.
  std::string next;
  bool was_active = w.vault().active() == gone;
  size_t at = static_cast<size_t>(gone - list.data());
  if (at + 1 < list.size()) next = list[at + 1].name;
  else if (at > 0) next = list[at - 1].name;
  if (!Vault::remove_account(w.store(), name, error)) return w.failed(call, error);
  if (was_active && !next.empty() && !Vault::set_active(w.store(), next, error)) return w.failed(call, error);
  if (int status = w.commit(call); status != kOk) return status;
  w.scrub(call);  // the removed account's sealed keys, in pages LMDB freed
  std::string active = was_active ? next : std::string(w.vault().active()->name);
  call.err.line(active.empty() ? name + " removed; no accounts are left."
                               : name + " removed; the active account is " + active + ".");
  return kOk;
}

// --- stellar-list ------------------------------------------------------------
constexpr Param kListParams[] = {
    {Kind::Flag, Type::Bool, "--json", nullptr, "One JSON array of the accounts' public parts.", true},
};

int run_list(Call& call) {
  Vault v;
  if (!accounts::snapshot(call, v)) return kFailed;
  const Account* active = v.active();
  if (call[param(kListParams, "--json")].b) {
    JsonWriter w(call.out);
    w.begin_array();
    for (const Account& a : v.accounts()) {
      w.begin_object();
      Vault::write_public(w, a);
      w.key("active");
      w.boolean(&a == active);
      w.key("testnet");
      w.boolean(a.testnet);
      w.key("funded");
      if (a.funded) w.boolean(*a.funded);
      else w.null();
      w.end_object();
    }
    w.end_array();
    call.out.put('\n');
    return kOk;
  }
  for (const Account& a : v.accounts()) {
    call.out.write(&a == active ? "* " : "  ");
    call.out.write(a.public_key);
    call.out.write("  ");
    call.out.write(a.name);
    if (a.testnet) call.out.write(a.funded.value_or(false) ? "  (testnet, funded)" : "  (testnet, not funded)");
    call.out.put('\n');
  }
  return kOk;
}

}  // namespace

extern constinit const Command stellar_new_account{
    .name = "stellar-new-account",
    .group = Group::Stellar,
    .summary = "Create a Stellar account from 24 new words (or recover one); print its public key.",
    .help = "Create a Stellar account: 24 new recovery words (BIP-39), the key derived from them "
            "(SEP-0005, m/44'/148'/0'), sealed in the vault under its passphrase. The words are "
            "shown once through a dialog or the terminal (--show-mnemonic prints them instead). "
            "With --mnemonic-file the account is recovered from its words. Prints the public key; "
            "the new account becomes the active one.",
    .params = kNewParams,
    .needs = kMayPrompt | kOwnWrites,  // the testnet variant alone reads the friendbot URL
    .run = run_new,
    .on_cancel = "\n",  // the original's answer to a closed popup
};

extern constinit const Command stellar_new_testnet_account{
    .name = "stellar-new-testnet-account",
    .group = Group::Stellar,
    .summary = "Create a testnet account and fund it through Friendbot; print its public key.",
    .help = "As stellar-new-account, flagged testnet, then funded through the testnet Friendbot "
            "(config key stellar_friendbot_url) with curl. When funding fails the account is kept, "
            "marked not funded, and a warning says why (exit status 0).",
    .params = kNewParams,
    .needs = kReadsConfig | kMayPrompt | kOwnWrites,  // reads the friendbot URL
    .run = run_new_testnet,
    .on_cancel = "\n",  // the original's answer to a closed popup
};

extern constinit const Command stellar_set_account{
    .name = "stellar-set-account",
    .group = Group::Stellar,
    .summary = "Choose the active Stellar account; print its name.",
    .help = nullptr,
    .params = kSetParams,
    .needs = kMayPrompt | kOwnWrites,
    .run = run_set,
};

extern constinit const Command stellar_remove_account{
    .name = "stellar-remove-account",
    .group = Group::Stellar,
    .summary = "Remove a Stellar account from the vault (asks for confirmation).",
    .help = "Remove an account and its sealed keys. Asks for confirmation unless --yes. When it was "
            "the active account, the next one (in creation order) becomes active.",
    .params = kRemoveParams,
    .needs = kMayPrompt | kOwnWrites,
    .run = run_remove,
    .on_cancel = "\n",  // the original's answer to a closed popup
};

extern constinit const Command stellar_list{
    .name = "stellar-list",
    .group = Group::Stellar,
    .summary = "List the Stellar accounts (public parts; * marks the active one).",
    .help = nullptr,
    .params = kListParams,
    .needs = kOwnReads | kInProcess,
    .run = run_list,
};

}  // namespace hvym::commands
