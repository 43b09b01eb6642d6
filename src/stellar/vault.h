// The Stellar accounts vault, kept in the store next to the config:
//   vault/header          the key derivation (Argon2id: salt, limits) and a check value
//   vault/account/NAME    one account: public parts in clear, secrets sealed
//   vault/active          the active account's name
//   vault/next            the next creation number (accounts list in creation order)
// Secrets (the S... key, the 24 words) are sealed with XChaCha20-Poly1305
// under a key derived from the passphrase; the sealed box is bound to the
// account's name and public key. Public parts (name, G..., 25519_pub,
// testnet, funding) need no passphrase.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hvym {

class Store;

// A derived key, wiped when it goes.
struct VaultKey {
  std::array<uint8_t, 32> bytes{};
  VaultKey() = default;
  VaultKey(const VaultKey&) = delete;
  VaultKey& operator=(const VaultKey&) = delete;
  ~VaultKey();
};

// An account's secrets in clear, wiped when they go.
struct Secrets {
  std::string secret_key;   // S...
  std::string mnemonic;     // the 24 words ("" for an imported legacy key)
  std::string legacy_seed;  // the original's unrelated words, kept but never used
  Secrets() = default;
  Secrets(const Secrets&) = delete;
  Secrets& operator=(const Secrets&) = delete;
  ~Secrets();
};

struct Account {
  std::string name;
  std::string public_key;  // G...
  std::string x25519_pub;  // the original's 25519_pub
  bool testnet = false;
  std::optional<bool> funded;       // testnet accounts: whether Friendbot funded it
  std::optional<double> funded_at;  // seconds since the epoch
  uint64_t created = 0;
  std::string sealed;  // base64 of nonce || ciphertext
};

class Vault {
 public:
  // Reads the vault in the store's current transaction (an empty vault when
  // the store has none).
  bool load(Store& store, std::string& error);
  bool has_passphrase() const { return !header_.empty(); }
  const std::vector<Account>& accounts() const { return accounts_; }
  const Account* find(std::string_view name) const;
  const Account* find_key(std::string_view public_key) const;
  // The active account (the first when none is marked), or null when empty.
  const Account* active() const;
  uint64_t next_number() const { return next_; }
  // The header as stored: another process may have changed it meanwhile.
  const std::string& header() const { return header_; }

  // The key for a passphrase; false with "wrong passphrase" when it does
  // not open this vault. (Argon2id: about a tenth of a second and 64 MiB.)
  bool unlock(std::string_view passphrase, VaultKey& key, std::string& error) const;
  // A header for a new passphrase (fresh salt) and its key.
  static bool new_header(std::string_view passphrase, VaultKey& key, std::string& header,
                         std::string& error);

  static bool seal(const VaultKey& key, const Account& a, const Secrets& s, std::string& sealed);
  // False when the box does not open (another key, or tampered with).
  static bool open(const VaultKey& key, const Account& a, Secrets& s);

  // Writes, in the store's write transaction.
  static bool put_header(Store& store, std::string_view header, std::string& error);
  static bool put_account(Store& store, const Account& a, std::string& error);
  static bool remove_account(Store& store, std::string_view name, std::string& error);
  static bool set_active(Store& store, std::string_view name, std::string& error);
  static bool set_next(Store& store, uint64_t next, std::string& error);

  // The members every view of an account starts with: "name", "public",
  // "25519_pub" (the original's names), inside an object being written.
  static void write_public(class JsonWriter& w, const Account& a);

  // Checks an account name: "" or why not.
  static std::string check_name(std::string_view name);

 private:
  std::string header_;
  std::vector<Account> accounts_;
  std::string active_;
  uint64_t next_ = 1;
};

}  // namespace hvym
