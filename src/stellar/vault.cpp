#include "stellar/vault.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>

#include "json/json_writer.h"
#include "simdjson.h"
#include "stellar/keys.h"
#include "store/store.h"

namespace hvym {
namespace {

constexpr std::string_view kHeaderKey = "vault/header";
constexpr std::string_view kAccountPrefix = "vault/account/";
constexpr std::string_view kActiveKey = "vault/active";
constexpr std::string_view kNextKey = "vault/next";
constexpr std::string_view kCheckText = "hvym vault v1";

std::string b64(const uint8_t* p, size_t n) {
  std::string s(sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(s.data(), s.size(), p, n, sodium_base64_VARIANT_ORIGINAL);
  s.pop_back();  // the NUL
  return s;
}

bool unb64(std::string_view s, std::string& out) {
  out.assign(s.size(), '\0');
  size_t n = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), s.data(), s.size(),
                        nullptr, &n, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  out.resize(n);
  return true;
}

const uint8_t* bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// What a sealed box is bound to.
std::string bound_to(const Account& a) { return "hvym account\n" + a.name + "\n" + a.public_key; }

std::string seal_text(const VaultKey& key, std::string_view plain, std::string_view ad) {
  std::string box(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plain.size() +
                      crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  auto* nonce = reinterpret_cast<uint8_t*>(box.data());
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &n,
                                             bytes(plain), plain.size(), bytes(ad), ad.size(), nullptr,
                                             nonce, key.bytes.data());
  return b64(bytes(box), box.size());
}

bool open_text(const VaultKey& key, std::string_view sealed, std::string_view ad, std::string& plain) {
  std::string box;
  if (!unb64(sealed, box) || box.size() < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
                                              crypto_aead_xchacha20poly1305_ietf_ABYTES)
    return false;
  size_t body = box.size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  plain.assign(body, '\0');
  unsigned long long n = 0;
  const uint8_t* nonce = bytes(box);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<uint8_t*>(plain.data()), &n, nullptr,
                                                 nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, body,
                                                 bytes(ad), ad.size(), nonce, key.bytes.data()) != 0) {
    plain.clear();
    return false;
  }
  plain.resize(n);
  return true;
}

bool derive(std::string_view passphrase, std::string_view salt, uint64_t ops, uint64_t mem, VaultKey& key) {
  if (salt.size() != crypto_pwhash_SALTBYTES) return false;
  return crypto_pwhash(key.bytes.data(), key.bytes.size(), passphrase.data(), passphrase.size(), bytes(salt),
                       ops, mem, crypto_pwhash_ALG_ARGON2ID13) == 0;
}

bool read_account(std::string_view json, Account& a) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(json.data(), json.size()).get(e)) return false;
  std::string_view s;
  if (e["name"].get(s)) return false;
  a.name = s;
  if (e["public"].get(s)) return false;
  a.public_key = s;
  if (e["25519_pub"].get(s)) return false;
  a.x25519_pub = s;
  if (e["sealed"].get(s)) return false;
  a.sealed = s;
  bool b;
  if (!e["testnet"].get(b)) a.testnet = b;
  if (!e["funded"].get(b)) a.funded = b;
  double d;
  if (!e["funded_at"].get(d)) a.funded_at = d;
  uint64_t n;
  if (!e["created"].get(n)) a.created = n;
  // A flipped bit must not become another key printed with exit 0: the
  // strkey's checksum and the X25519 key derived from it must agree.
  return stellar::public_parts_agree(a.public_key, a.x25519_pub);
}

}  // namespace

VaultKey::~VaultKey() { sodium_memzero(bytes.data(), bytes.size()); }

Secrets::~Secrets() {
  for (std::string* s : {&secret_key, &mnemonic, &legacy_seed}) sodium_memzero(s->data(), s->size());
}

bool Vault::load(Store& store, std::string& error) {
  header_.clear();
  accounts_.clear();
  active_.clear();
  next_ = 1;
  if (auto h = store.get(kHeaderKey, error)) header_ = *h;
  if (!error.empty()) return false;
  if (auto a = store.get(kActiveKey, error)) active_ = *a;
  if (!error.empty()) return false;
  if (auto n = store.get(kNextKey, error)) next_ = std::strtoull(std::string(*n).c_str(), nullptr, 10);
  if (!error.empty()) return false;
  bool damaged = false;
  if (!store.scan(kAccountPrefix, [&](std::string_view key, std::string_view value) {
        Account a;
        // Without the passphrase a name cannot be authenticated (its box is,
        // when unlocked): at least it is the name its key holds, and a name
        // hvym would have taken (no control characters to print).
        if (!read_account(value, a) || key.substr(kAccountPrefix.size()) != a.name ||
            !check_name(a.name).empty()) {
          damaged = true;
          error = "the vault entry " + std::string(key) + " is damaged";
          return;
        }
        next_ = std::max(next_, a.created + 1);
        accounts_.push_back(std::move(a));
      }, error))
    return false;
  if (damaged) return false;
  std::stable_sort(accounts_.begin(), accounts_.end(),
                   [](const Account& x, const Account& y) { return x.created < y.created; });
  return true;
}

const Account* Vault::find(std::string_view name) const {
  for (const Account& a : accounts_)
    if (a.name == name) return &a;
  return nullptr;
}

const Account* Vault::find_key(std::string_view public_key) const {
  for (const Account& a : accounts_)
    if (a.public_key == public_key) return &a;
  return nullptr;
}

const Account* Vault::active() const {
  if (const Account* a = find(active_)) return a;
  return accounts_.empty() ? nullptr : &accounts_.front();
}

bool Vault::unlock(std::string_view passphrase, VaultKey& key, std::string& error) const {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  std::string_view salt64, check;
  uint64_t ops = 0, mem = 0;
  std::string salt, plain;
  if (parser.parse(header_.data(), header_.size()).get(e) || e["salt"].get(salt64) || e["check"].get(check) ||
      e["opslimit"].get(ops) || e["memlimit"].get(mem) || !unb64(salt64, salt)) {
    error = "the vault header is damaged";
    return false;
  }
  // hvym writes libsodium's interactive limits; a header asking for more
  // than its sensitive ones was tampered with (it would run for hours, or
  // take all memory) and is refused before any work.
  if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
      mem < crypto_pwhash_MEMLIMIT_MIN || mem > crypto_pwhash_MEMLIMIT_SENSITIVE) {
    error = "the vault header asks for key-derivation limits hvym never writes (opslimit " + std::to_string(ops) +
            ", memlimit " + std::to_string(mem) + "); it is damaged or was tampered with";
    return false;
  }
  if (!derive(passphrase, salt, ops, mem, key)) {
    error = "cannot derive the vault key (out of memory?)";
    return false;
  }
  if (!open_text(key, check, "hvym vault header", plain) || plain != kCheckText) {
    error = "wrong passphrase";
    return false;
  }
  return true;
}

bool Vault::new_header(std::string_view passphrase, VaultKey& key, std::string& header, std::string& error) {
  uint8_t salt[crypto_pwhash_SALTBYTES];
  randombytes_buf(salt, sizeof salt);
  uint64_t ops = crypto_pwhash_OPSLIMIT_INTERACTIVE, mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  if (!derive(passphrase, {reinterpret_cast<const char*>(salt), sizeof salt}, ops, mem, key)) {
    error = "cannot derive the vault key (out of memory?)";
    return false;
  }
  header.clear();
  StringSink sink(header);
  JsonWriter w(sink);
  w.begin_object();
  w.key("version");
  w.integer(1);
  w.key("kdf");
  w.string("argon2id13");
  w.key("salt");
  w.string(b64(salt, sizeof salt));
  w.key("opslimit");
  w.integer(static_cast<int64_t>(ops));
  w.key("memlimit");
  w.integer(static_cast<int64_t>(mem));
  w.key("cipher");
  w.string("xchacha20poly1305-ietf");
  w.key("check");
  w.string(seal_text(key, kCheckText, "hvym vault header"));
  w.end_object();
  sink.flush();
  return true;
}

bool Vault::seal(const VaultKey& key, const Account& a, const Secrets& s, std::string& sealed) {
  std::string plain;
  {
    StringSink sink(plain);
    JsonWriter w(sink);
    w.begin_object();
    w.key("secret");
    w.string(s.secret_key);
    w.key("mnemonic");
    w.string(s.mnemonic);
    if (!s.legacy_seed.empty()) {
      w.key("legacy_seed");
      w.string(s.legacy_seed);
    }
    w.end_object();
  }
  sealed = seal_text(key, plain, bound_to(a));
  sodium_memzero(plain.data(), plain.size());
  return true;
}

bool Vault::open(const VaultKey& key, const Account& a, Secrets& s) {
  std::string plain;
  if (!open_text(key, a.sealed, bound_to(a), plain)) return false;
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  std::string_view v;
  bool ok = !parser.parse(plain.data(), plain.size()).get(e) && !e["secret"].get(v);
  if (ok) s.secret_key = v;
  if (ok && !e["mnemonic"].get(v)) s.mnemonic = v;
  if (ok && !e["legacy_seed"].get(v)) s.legacy_seed = v;
  sodium_memzero(plain.data(), plain.size());
  return ok;
}

bool Vault::put_header(Store& store, std::string_view header, std::string& error) {
  return store.put(kHeaderKey, header, error);
}

bool Vault::put_account(Store& store, const Account& a, std::string& error) {
  std::string json;
  {
    StringSink sink(json);
    JsonWriter w(sink);
    w.begin_object();
    write_public(w, a);
    w.key("testnet");
    w.boolean(a.testnet);
    if (a.funded) {
      w.key("funded");
      w.boolean(*a.funded);
    }
    if (a.funded_at) {
      w.key("funded_at");
      w.number(*a.funded_at);
    }
    w.key("created");
    w.integer(static_cast<int64_t>(a.created));
    w.key("sealed");
    w.string(a.sealed);
    w.end_object();
  }
  return store.put(std::string(kAccountPrefix) + a.name, json, error);
}

void Vault::write_public(JsonWriter& w, const Account& a) {
  w.key("name");
  w.string(a.name);
  w.key("public");
  w.string(a.public_key);
  w.key("25519_pub");
  w.string(a.x25519_pub);
}

bool Vault::remove_account(Store& store, std::string_view name, std::string& error) {
  return store.del(std::string(kAccountPrefix) + std::string(name), error);
}

bool Vault::set_active(Store& store, std::string_view name, std::string& error) {
  return store.put(kActiveKey, name, error);
}

bool Vault::set_next(Store& store, uint64_t next, std::string& error) {
  return store.put(kNextKey, std::to_string(next), error);
}

std::string Vault::check_name(std::string_view name) {
  if (name.empty()) return "an account name cannot be empty";
  if (name.size() > 100) return "an account name has at most 100 bytes";
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7F) return "an account name cannot hold control characters";
  return "";
}

}  // namespace hvym
