#include "stellar/legacy_vault.h"
#include "store/paths.h"
#include "platform/fs.h"
#include "platform/process.h"

#include <sodium.h>

#include <cerrno>
#include <cstring>

#include "stellar/aes256.h"
#include "simdjson.h"

namespace hvym {

LegacyAccount::~LegacyAccount() {
  sodium_memzero(secret_key.data(), secret_key.size());
  sodium_memzero(seed.data(), seed.size());
}

bool read_legacy_vault(const std::string& path, std::string_view passphrase,
                       std::vector<LegacyAccount>& out, std::string& error) {
  int fd = open_regular_file(path, error);
  if (fd < 0) return false;
  bool ok = read_legacy_vault(fd, path, passphrase, out, error);
  close_fd(fd);
  return ok;
}

bool read_legacy_vault(int fd, const std::string& path, std::string_view passphrase,
                       std::vector<LegacyAccount>& out, std::string& error) {
  std::string file;
  bool read = fs::read_fd(fd, file, 64u << 20);
  if (!read) return error = "cannot read " + path + ": " + (errno == EFBIG ? "larger than 64 MiB" : std::strerror(errno)), false;
  if (file.size() < 32) return error = path + " is not an encrypted TinyDB file (too short)", false;
  size_t length = 0;
  for (size_t i = 16; i < 32; ++i) {
    if (file[i] < '0' || file[i] > '9') return error = path + " is not an encrypted TinyDB file (no length)", false;
    length = length * 10 + static_cast<size_t>(file[i] - '0');
  }
  size_t body = file.size() - 32;
  body -= body % 16;
  if (length > body) return error = path + " is truncated", false;

  uint8_t key[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(key, reinterpret_cast<const uint8_t*>(passphrase.data()), passphrase.size());
  std::string plain(body, '\0');
  aes256_cbc_decrypt(key, reinterpret_cast<const uint8_t*>(file.data()), reinterpret_cast<const uint8_t*>(file.data() + 32),
                     body, reinterpret_cast<uint8_t*>(plain.data()));
  sodium_memzero(key, sizeof key);
  plain.resize(length);

  simdjson::dom::parser parser;
  simdjson::dom::element root;
  bool parsed = !parser.parse(plain.data(), plain.size()).get(root) && root.is_object();
  sodium_memzero(plain.data(), plain.size());
  if (!parsed) return error = "wrong passphrase (or " + path + " is damaged)", false;
  simdjson::dom::object table;
  if (root["stellar_accounts"].get(table)) return true;  // no accounts table: nothing to import
  for (auto field : table) {
    simdjson::dom::object doc;
    if (field.value.get(doc)) continue;
    LegacyAccount a;
    std::string_view s;
    if (!doc["name"].get(s)) a.name = s;
    if (!doc["public"].get(s)) a.public_key = s;
    if (!doc["secret"].get(s)) a.secret_key = s;
    if (!doc["25519_pub"].get(s)) a.x25519_pub = s;
    if (!doc["seed"].get(s)) a.seed = s;
    bool b;
    if (!doc["is_testnet"].get(b)) a.testnet = b;
    if (!doc["funded"].get(b)) a.funded = b;
    double d;
    if (!doc["funding_timestamp"].get(d)) a.funded_at = d;
    out.push_back(std::move(a));
  }
  return true;
}

}  // namespace hvym
