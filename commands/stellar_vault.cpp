// The vault as a whole: stellar-update-db-pw (a new passphrase, everything
// sealed again in one transaction) and stellar-import-legacy (the Python
// CLI's enc_db.json, left untouched).
#include "stellar/accounts.h"

#include <cerrno>
#include <cstring>

#include "unit/args.h"
#include "unit/command.h"
#include "stellar/legacy_vault.h"
#include "store/paths.h"
#include "prompt/prompt.h"
#include "stellar/keys.h"
#include "store/store.h"

namespace hvym::commands {
namespace {

using accounts::Write;

// --- stellar-update-db-pw ------------------------------------------------------
constexpr Param kUpdateParams[] = {
    {Kind::Option, Type::String, "--passphrase-file", nullptr,
     "The current passphrase: first line of FILE ('-': standard input).", true},
    {Kind::Option, Type::String, "--new-passphrase-file", nullptr,
     "The new passphrase: first line of FILE ('-': standard input; its second line when both are '-').", true},
};

int run_update(Call& call) {
  Vault seen;
  if (!accounts::snapshot(call, seen)) return kFailed;
  if (!seen.has_passphrase()) return failure(call, "the vault has no passphrase yet (stellar-new-account sets it).");
  VaultKey old_key, new_key;
  std::string old_pass, new_pass, header, error;
  const Value& old_file = call[param(kUpdateParams, "--passphrase-file")];
  const Value& new_file = call[param(kUpdateParams, "--new-passphrase-file")];
  int status = accounts::unlock(call, seen, old_file, old_key, old_pass);
  if (status != kOk) return status;
  size_t line = accounts::second_line(old_file, new_file);
  if ((status = accounts::new_passphrase(call, new_file, line, "New passphrase for the Stellar vault:", new_pass)) != kOk)
    return status;
  if (!Vault::new_header(new_pass, new_key, header, error)) return failure(call, error + ".");

  Write w;
  if ((status = w.begin(call)) != kOk) return status;
  if (w.vault().header() != seen.header()) return failure(call, "the vault's passphrase changed meanwhile; nothing changed.");
  for (Account a : w.vault().accounts()) {
    Secrets s;
    if (!Vault::open(old_key, a, s))
      return failure(call, "the sealed keys of " + py_repr(a.name) + " do not open; nothing changed.");
    Vault::seal(new_key, a, s, a.sealed);
    if (!Vault::put_account(w.store(), a, error)) return w.failed(call, error);
  }
  if (!Vault::put_header(w.store(), header, error)) return w.failed(call, error);
  if ((status = w.commit(call)) != kOk) return status;
  w.scrub(call);  // the records sealed under the old passphrase, in pages LMDB freed
  call.err.line("The vault's passphrase is changed (" + std::to_string(w.vault().accounts().size()) +
                " accounts sealed again).");
  return kOk;
}

// --- stellar-import-legacy -----------------------------------------------------
constexpr Param kImportParams[] = {
    {Kind::Option, Type::String, "--passphrase-file", nullptr,
     "The Python CLI's passphrase: first line of FILE ('-': standard input).", true},
    {Kind::Option, Type::String, "--file", nullptr,
     "The legacy file (default: enc_db.json in the data folder).", true},
    {Kind::Option, Type::String, "--vault-passphrase-file", nullptr,
     "The hvym vault's passphrase when it differs (first line of FILE; '-': the next line of "
     "standard input).",
     true},
};
constexpr size_t kLegacyPassphraseFile = param(kImportParams, "--passphrase-file");
constexpr size_t kFile = param(kImportParams, "--file");
constexpr size_t kVaultPassphraseFile = param(kImportParams, "--vault-passphrase-file");

// enc_db.json in the data folder, else in the older releases' folder
// (find_data_file: opened relative to the checked folder); else nothing,
// and the error names the usual place.
DataFile default_legacy_vault() {
  std::string dir = data_dir();
  DataFile found = find_data_file(dir, {"enc_db.json"});
  if (!found.found()) {
    found.path = dir + "/enc_db.json";
    found.error = "cannot open " + found.path + ": " + std::strerror(ENOENT);
  }
  return found;
}

int run_import(Call& call) {
  Vault seen;
  if (!accounts::snapshot(call, seen)) return kFailed;
  DataFile found;
  if (!call[kFile].given) found = default_legacy_vault();
  std::string path = call[kFile].given ? std::string(call[kFile].text) : found.path;
  std::string legacy_pass, error;
  int status = accounts::secret(call, call[kLegacyPassphraseFile], 0,
                                {.kind = Ask::Secret, .what = "the Python CLI's passphrase",
                                 .message = "Passphrase of the Python CLI's accounts (enc_db.json):"},
                                legacy_pass);
  if (status != kOk) return status;
  std::vector<LegacyAccount> legacy;
  bool read = call[kFile].given ? read_legacy_vault(path, legacy_pass, legacy, error)
              : found.fd >= 0     ? read_legacy_vault(found.fd, path, legacy_pass, legacy, error)
                                  : (error = found.error, false);
  if (!read) return failure(call, error + "; nothing imported.");

  // The vault's key: the same passphrase when it opens the vault (or the
  // vault is new), else the vault's own.
  VaultKey key;
  std::string vault_pass = legacy_pass, prepared;
  if (!seen.has_passphrase()) {
    if (!Vault::new_header(vault_pass, key, prepared, error)) return failure(call, error + ".");
  } else if (!seen.unlock(vault_pass, key, error)) {
    if (!call[kVaultPassphraseFile].given) call.err.line("The hvym vault has another passphrase.");
    status = accounts::unlock(call, seen, call[kVaultPassphraseFile], key, vault_pass,
                              accounts::second_line(call[kLegacyPassphraseFile], call[kVaultPassphraseFile]));
    if (status != kOk) return status;
  }

  Write w;
  if ((status = w.begin(call)) != kOk) return status;
  if ((status = w.rekey(call, seen, vault_pass, key, prepared)) != kOk) return status;
  uint64_t next = w.vault().next_number();
  std::string first;
  size_t imported = 0, skipped = 0;
  for (const LegacyAccount& l : legacy) {
    stellar::KeyPair kp;
    std::string label = l.name.empty() ? l.public_key : l.name;
    if (!stellar::keypair_from_secret(l.secret_key, kp) || kp.public_key != l.public_key) {
      call.err.line("Skipped " + label + ": its secret key does not match its public key.");
      ++skipped;
      continue;
    }
    if (const Account* same = w.vault().find_key(l.public_key)) {
      call.err.line("Skipped " + label + ": already in the vault as " + same->name + ".");
      ++skipped;
      continue;
    }
    if (!Vault::check_name(l.name).empty() || w.vault().find(l.name)) {
      call.err.line("Skipped " + label + ": the vault has an account of that name (or the name is not allowed).");
      ++skipped;
      continue;
    }
    Account a{.name = l.name, .public_key = kp.public_key, .x25519_pub = kp.x25519_pub, .testnet = l.testnet};
    a.funded = l.funded;
    a.funded_at = l.funded_at;
    a.created = next++;
    Secrets s;
    s.secret_key = l.secret_key;
    s.legacy_seed = l.seed;  // the original's words do not derive this key: kept, never offered
    Vault::seal(key, a, s, a.sealed);
    if (!Vault::put_account(w.store(), a, error)) return w.failed(call, error);
    if (first.empty()) first = a.name;
    call.out.line(a.public_key + "  " + a.name);
    ++imported;
  }
  if (!Vault::set_next(w.store(), next, error)) return w.failed(call, error);
  if (!w.vault().active() && !first.empty() && !Vault::set_active(w.store(), first, error)) return w.failed(call, error);
  if ((status = w.commit(call)) != kOk) return status;
  call.err.line("Imported " + std::to_string(imported) + " of " + std::to_string(legacy.size()) + " accounts from " +
                path + (skipped ? " (" + std::to_string(skipped) + " skipped)" : "") + "; the file is unchanged.");
  return kOk;
}

}  // namespace

extern constinit const Command stellar_update_db_pw{
    .name = "stellar-update-db-pw",
    .group = Group::Stellar,
    .summary = "Change the vault's passphrase (every account sealed again, one transaction).",
    .help = nullptr,
    .params = kUpdateParams,
    .needs = kMayPrompt | kOwnWrites,
    .run = run_update,
    .on_cancel = "\n",  // the original's answer to a closed popup
};

extern constinit const Command stellar_import_legacy{
    .name = "stellar-import-legacy",
    .group = Group::Stellar,
    .summary = "Import the Python CLI's accounts (enc_db.json) into the vault.",
    .help = "Decrypt the Python CLI's enc_db.json with its passphrase and import its accounts, each "
            "checked (its secret key must give its public key). The file is left untouched. Its "
            "passphrase also becomes the vault's when the vault is new. Imported accounts have no "
            "recovery words: the Python CLI's words did not belong to the keys.",
    .params = kImportParams,
    .needs = kMayPrompt | kOwnWrites,
    .run = run_import,
};

}  // namespace hvym::commands
