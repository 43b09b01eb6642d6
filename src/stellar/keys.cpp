#include "stellar/keys.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace hvym::stellar {

bool crypto_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

namespace {

// A bit string read 11 bits at a time.
uint32_t bits_at(const std::vector<uint8_t>& bytes, size_t bit, size_t count) {
  uint32_t v = 0;
  for (size_t i = 0; i < count; ++i, ++bit)
    v = (v << 1) | ((bytes[bit / 8] >> (7 - bit % 8)) & 1u);
  return v;
}

int word_index(std::string_view w) {
  auto first = std::begin(kBip39Words), last = std::end(kBip39Words);
  auto it = std::lower_bound(first, last, w, [](const char* a, std::string_view b) { return a < b; });
  return it != last && w == *it ? static_cast<int>(it - first) : -1;
}

std::array<uint8_t, 64> hmac512(const uint8_t* key, size_t key_len, const uint8_t* data, size_t n) {
  std::array<uint8_t, 64> out;
  crypto_auth_hmacsha512_state st;
  crypto_auth_hmacsha512_init(&st, key, key_len);
  crypto_auth_hmacsha512_update(&st, data, n);
  crypto_auth_hmacsha512_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
  return out;
}

// URL-safe base64 with padding (Python's urlsafe_b64encode), libsodium's.
void base64_url(const uint8_t* data, size_t n, std::string& out) {
  out.resize(sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE));
  sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_URLSAFE);
  out.pop_back();  // the terminating NUL the length counts
}

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

}  // namespace

std::string mnemonic_from_entropy(const uint8_t* entropy, size_t n) {
  uint8_t hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, entropy, n);
  std::vector<uint8_t> bits(entropy, entropy + n);
  bits.push_back(hash[0]);  // the checksum is the first n/4 bits of it
  size_t words = (n * 8 + n / 4) / 11;
  std::string out;
  for (size_t i = 0; i < words; ++i) {
    if (i) out += ' ';
    out += kBip39Words[bits_at(bits, i * 11, 11)];
  }
  sodium_memzero(bits.data(), bits.size());
  return out;
}

std::string new_mnemonic() {
  uint8_t entropy[32];
  randombytes_buf(entropy, sizeof entropy);
  std::string m = mnemonic_from_entropy(entropy, sizeof entropy);
  sodium_memzero(entropy, sizeof entropy);
  return m;
}

bool check_mnemonic(std::string_view text, std::string& normalized, std::string& why) {
  std::vector<int> indexes;
  normalized.clear();
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
    size_t start = i;
    while (i < text.size() && !(text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
    if (start == i) break;
    std::string w(text.substr(start, i - start));
    for (char& c : w)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    int index = word_index(w);
    if (index < 0) {
      why = "word " + std::to_string(indexes.size() + 1) + " is not in the BIP-39 English list";
      return false;
    }
    indexes.push_back(index);
    if (!normalized.empty()) normalized += ' ';
    normalized += w;
  }
  size_t count = indexes.size();
  if (count < 12 || count > 24 || count % 3) {
    why = "a mnemonic has 12, 15, 18, 21 or 24 words, not " + std::to_string(count);
    return false;
  }
  size_t total = count * 11, ent = total * 32 / 33, cs = total - ent;
  std::vector<uint8_t> bits((total + 7) / 8, 0);
  for (size_t w = 0; w < count; ++w)
    for (size_t b = 0; b < 11; ++b)
      if (indexes[w] & (1 << (10 - b))) bits[(w * 11 + b) / 8] |= static_cast<uint8_t>(0x80 >> ((w * 11 + b) % 8));
  uint8_t hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, bits.data(), ent / 8);
  bool ok = bits_at(bits, ent, cs) == (static_cast<uint32_t>(hash[0]) >> (8 - cs));
  sodium_memzero(bits.data(), bits.size());
  if (!ok) why = "the words fail the BIP-39 checksum (a word is wrong or out of place)";
  return ok;
}

std::array<uint8_t, 64> mnemonic_seed(std::string_view normalized) {
  // PBKDF2-HMAC-SHA512, salt "mnemonic", 2048 rounds, one 64-byte block.
  const auto* pw = reinterpret_cast<const uint8_t*>(normalized.data());
  uint8_t salt[12] = {'m', 'n', 'e', 'm', 'o', 'n', 'i', 'c', 0, 0, 0, 1};
  std::array<uint8_t, 64> u = hmac512(pw, normalized.size(), salt, sizeof salt);
  std::array<uint8_t, 64> out = u;
  for (int round = 1; round < 2048; ++round) {
    u = hmac512(pw, normalized.size(), u.data(), u.size());
    for (size_t k = 0; k < out.size(); ++k) out[k] ^= u[k];
  }
  sodium_memzero(u.data(), u.size());
  return out;
}

std::array<uint8_t, 32> derive_account(const std::array<uint8_t, 64>& seed, uint32_t account) {
  static const uint8_t kCurve[] = "ed25519 seed";
  std::array<uint8_t, 64> i = hmac512(kCurve, sizeof kCurve - 1, seed.data(), seed.size());
  for (uint32_t index : {44u, 148u, account}) {
    uint8_t data[37];
    data[0] = 0;
    std::memcpy(data + 1, i.data(), 32);
    uint32_t hardened = index | 0x80000000u;
    for (int k = 0; k < 4; ++k) data[33 + k] = static_cast<uint8_t>(hardened >> (24 - 8 * k));
    uint8_t chain[32];
    std::memcpy(chain, i.data() + 32, 32);
    i = hmac512(chain, sizeof chain, data, sizeof data);
    sodium_memzero(data, sizeof data);
    sodium_memzero(chain, sizeof chain);
  }
  std::array<uint8_t, 32> key;
  std::memcpy(key.data(), i.data(), 32);
  sodium_memzero(i.data(), i.size());
  return key;
}

KeyPair keypair_from_seed(const std::array<uint8_t, 32>& seed) {
  uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], x[crypto_scalarmult_curve25519_BYTES];
  crypto_sign_seed_keypair(pk, sk, seed.data());
  sodium_memzero(sk, sizeof sk);
  KeyPair kp;
  kp.public_key = strkey_encode(kPublicVersion, pk, sizeof pk);
  kp.secret_key = strkey_encode(kSecretVersion, seed.data(), seed.size());
  if (crypto_sign_ed25519_pk_to_curve25519(x, pk) == 0) base64_url(x, sizeof x, kp.x25519_pub);
  return kp;
}

bool keypair_from_secret(std::string_view secret, KeyPair& out) {
  std::array<uint8_t, 32> seed;
  if (!strkey_decode(kSecretVersion, secret, seed)) return false;
  out = keypair_from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return true;
}

bool public_parts_agree(std::string_view public_key, std::string_view x25519_pub) {
  std::array<uint8_t, 32> pk;
  uint8_t x[crypto_scalarmult_curve25519_BYTES];
  std::string expected;
  if (!strkey_decode(kPublicVersion, public_key, pk) || crypto_sign_ed25519_pk_to_curve25519(x, pk.data()) != 0)
    return false;
  base64_url(x, sizeof x, expected);
  return expected == x25519_pub;
}

uint16_t crc16_xmodem(const uint8_t* data, size_t n) {
  uint16_t crc = 0;
  for (size_t i = 0; i < n; ++i) {
    crc ^= static_cast<uint16_t>(data[i] << 8);
    for (int b = 0; b < 8; ++b) crc = static_cast<uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc;
}

std::string strkey_encode(uint8_t version, const uint8_t* data, size_t n) {
  std::vector<uint8_t> raw;
  raw.push_back(version);
  raw.insert(raw.end(), data, data + n);
  uint16_t crc = crc16_xmodem(raw.data(), raw.size());
  raw.push_back(static_cast<uint8_t>(crc & 0xFF));
  raw.push_back(static_cast<uint8_t>(crc >> 8));
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t b : raw) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += kBase32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  sodium_memzero(raw.data(), raw.size());
  return out;
}

bool strkey_decode(uint8_t version, std::string_view text, std::array<uint8_t, 32>& out) {
  if (text.size() != 56) return false;
  uint8_t raw[35];
  size_t n = 0;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const char* at = c ? std::strchr(kBase32, c) : nullptr;
    if (!at) return false;
    buffer = (buffer << 5) | static_cast<uint32_t>(at - kBase32);
    bits += 5;
    if (bits >= 8) {
      raw[n++] = static_cast<uint8_t>(buffer >> (bits - 8));
      bits -= 8;
    }
  }
  // 56 characters carry 280 bits: exactly 35 bytes, nothing left over.
  bool ok = n == 35 && bits == 0 && raw[0] == version;
  uint16_t crc = crc16_xmodem(raw, 33);
  ok = ok && raw[33] == (crc & 0xFF) && raw[34] == (crc >> 8);
  if (ok) std::memcpy(out.data(), raw + 1, 32);
  sodium_memzero(raw, sizeof raw);
  return ok;
}

}  // namespace hvym::stellar
