// Reading keys back: stellar-load-keys / stellar-select-keys (public key;
// the secret only with --show-secret and the passphrase),
// stellar-load-shared-pub / stellar-select-shared-pub (the 25519_pub).
#include "stellar/accounts.h"
#include "unit/args.h"
#include "unit/command.h"
#include "stellar/keys.h"

namespace hvym::commands {
namespace {

constexpr Param kLoadParams[] = {
    {Kind::Flag, Type::Bool, "--show-secret", nullptr, "Also print the secret key (S...) on a second line.", true},
    {Kind::Option, Type::String, "--passphrase-file", nullptr,
     "With --show-secret: read the passphrase from the first line of FILE ('-': standard input).", true},
};
constexpr Param kSelectParams[] = {
    {Kind::Argument, Type::String, "name", nullptr, "the account (asked when not given)", true, accounts::kAccountNames},
    kLoadParams[0],
    kLoadParams[1],
};
constexpr Param kSharedParams[] = {
    {Kind::Argument, Type::String, "name", nullptr, "the account (asked when not given)", true, accounts::kAccountNames},
};

// Prints the account's public key, and with --show-secret its secret key,
// checked against the public key.
int print_keys(Call& call, const Vault& v, const Account& a, const Value& show, const Value& file) {
  if (!show.b) {
    call.out.line(a.public_key);
    return kOk;
  }
  VaultKey key;
  std::string passphrase;
  if (int status = accounts::unlock(call, v, file, key, passphrase); status != kOk) return status;
  Secrets s;
  stellar::KeyPair kp;
  if (!Vault::open(key, a, s) || !stellar::keypair_from_secret(s.secret_key, kp) || kp.public_key != a.public_key)
    return failure(call, "the sealed keys of " + py_repr(a.name) + " do not open; the vault is damaged.");
  call.out.line(a.public_key);
  call.out.line(s.secret_key);
  return kOk;
}

int run_load_keys(Call& call) {
  Vault v;
  if (!accounts::snapshot(call, v)) return kFailed;
  const Account* a = nullptr;
  if (int status = accounts::active(call, v, a); status != kOk) return status;
  return print_keys(call, v, *a, call[param(kLoadParams, "--show-secret")],
                    call[param(kLoadParams, "--passphrase-file")]);
}

int run_select_keys(Call& call) {
  Vault v;
  if (!accounts::snapshot(call, v)) return kFailed;
  const Account* a = nullptr;
  if (int status = accounts::pick(call, v, call[param(kSelectParams, "name")], "Choose Account:", a); status != kOk)
    return status;
  return print_keys(call, v, *a, call[param(kSelectParams, "--show-secret")],
                    call[param(kSelectParams, "--passphrase-file")]);
}

int run_load_shared(Call& call) {
  Vault v;
  if (!accounts::snapshot(call, v)) return kFailed;
  const Account* a = nullptr;
  if (int status = accounts::active(call, v, a); status != kOk) return status;
  call.out.line(a->x25519_pub);
  return kOk;
}

int run_select_shared(Call& call) {
  Vault v;
  if (!accounts::snapshot(call, v)) return kFailed;
  const Account* a = nullptr;
  if (int status = accounts::pick(call, v, call[param(kSharedParams, "name")], "Choose Account:", a); status != kOk)
    return status;
  call.out.line(a->x25519_pub);
  return kOk;
}

}  // namespace

extern constinit const Command stellar_load_keys{
    .name = "stellar-load-keys",
    .group = Group::Stellar,
    .summary = "Print the active account's public key (and secret key with --show-secret).",
    .help = nullptr,
    .params = kLoadParams,
    .needs = kMayPrompt | kOwnReads,
    .run = run_load_keys,
};

extern constinit const Command stellar_select_keys{
    .name = "stellar-select-keys",
    .group = Group::Stellar,
    .summary = "Print an account's public key (and secret key with --show-secret).",
    .help = nullptr,
    .params = kSelectParams,
    .needs = kMayPrompt | kOwnReads,
    .run = run_select_keys,
    .on_cancel = "\n",  // the original's answer to a closed popup
};

extern constinit const Command stellar_load_shared_pub{
    .name = "stellar-load-shared-pub",
    .group = Group::Stellar,
    .summary = "Print the active account's X25519 public key (25519_pub).",
    .help = nullptr,
    .params = {},
    .needs = kOwnReads | kInProcess,
    .run = run_load_shared,
};

extern constinit const Command stellar_select_shared_pub{
    .name = "stellar-select-shared-pub",
    .group = Group::Stellar,
    .summary = "Print an account's X25519 public key (25519_pub).",
    .help = nullptr,
    .params = kSharedParams,
    .needs = kMayPrompt | kOwnReads,
    .run = run_select_shared,
    .on_cancel = "\n",  // the original's answer to a closed popup
};

}  // namespace hvym::commands
