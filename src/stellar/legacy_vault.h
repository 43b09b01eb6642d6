// The Python CLI's encrypted account file, enc_db.json (TinyDB through
// tinydb-encrypted-jsonstorage): a 16-byte IV, the JSON's length as 16
// ASCII digits, then AES-256-CBC of the JSON padded with spaces to 64-byte
// chunks, keyed by SHA-256 of the passphrase. No salt, no authentication:
// a wrong passphrase shows only as text that is not JSON.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hvym {

struct LegacyAccount {
  std::string name, public_key, secret_key, x25519_pub, seed;
  bool testnet = false;
  std::optional<bool> funded;
  std::optional<double> funded_at;
  ~LegacyAccount();
};

// The accounts of table stellar_accounts, in the file's order. False with
// the reason: the file cannot be read, is not such a file, or the
// passphrase is wrong.
bool read_legacy_vault(const std::string& path, std::string_view passphrase,
                       std::vector<LegacyAccount>& out, std::string& error);
// The same from an open descriptor (find_data_file's); `path` names it.
bool read_legacy_vault(int fd, const std::string& path, std::string_view passphrase,
                       std::vector<LegacyAccount>& out, std::string& error);

}  // namespace hvym
