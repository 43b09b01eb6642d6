// Stellar keys from recovery words: BIP-39 mnemonics (English list), the
// SEP-0005 derivation (PBKDF2-HMAC-SHA512 seed, SLIP-0010 Ed25519 path
// m/44'/148'/N'), strkeys (G... public, S... secret) and the X25519 public
// key the original printed as `25519_pub`. Crypto from libsodium.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hvym::stellar {

extern const char* const kBip39Words[2048];  // generated from the packaged list

// sodium_init(), once; false when libsodium cannot start.
bool crypto_ready();

// 32 bytes of entropy -> 24 words (16 -> 12, ...), with the BIP-39 checksum.
std::string mnemonic_from_entropy(const uint8_t* entropy, size_t n);
// A fresh 24-word mnemonic from the system's random source.
std::string new_mnemonic();
// Lower-cases, splits on white space, checks the words, their number and the
// checksum. True with the words joined by single spaces in `normalized`;
// false with the reason in `why`.
bool check_mnemonic(std::string_view text, std::string& normalized, std::string& why);
// The BIP-39 seed (no passphrase) of a normalized mnemonic.
std::array<uint8_t, 64> mnemonic_seed(std::string_view normalized);

// SLIP-0010 Ed25519 along m/44'/148'/account' (SEP-0005).
std::array<uint8_t, 32> derive_account(const std::array<uint8_t, 64>& seed, uint32_t account);

struct KeyPair {
  std::string public_key;  // G...
  std::string secret_key;  // S...
  std::string x25519_pub;  // URL-safe base64 with padding of the X25519 key
};
// The key pair of an Ed25519 seed (the 32 bytes an S... strkey carries).
KeyPair keypair_from_seed(const std::array<uint8_t, 32>& seed);
// The key pair an S... strkey stands for; false when it is no valid secret key.
bool keypair_from_secret(std::string_view secret, KeyPair& out);
// Whether a G... strkey is valid (version, checksum) and x25519_pub is the
// X25519 key it converts to: a stored account's public parts agree.
bool public_parts_agree(std::string_view public_key, std::string_view x25519_pub);

// Strkeys: version byte, payload, CRC16-XModem (little-endian), base32.
inline constexpr uint8_t kPublicVersion = 6 << 3;   // 'G'
inline constexpr uint8_t kSecretVersion = 18 << 3;  // 'S'
std::string strkey_encode(uint8_t version, const uint8_t* data, size_t n);
bool strkey_decode(uint8_t version, std::string_view text, std::array<uint8_t, 32>& out);
uint16_t crc16_xmodem(const uint8_t* data, size_t n);

}  // namespace hvym::stellar
