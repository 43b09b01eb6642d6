// AES-256 decryption (FIPS-197's inverse cipher) in CBC mode, only for
// reading the Python CLI's enc_db.json. Tables are computed on first use
// from the field arithmetic, so nothing runs at startup.
#include "stellar/aes256.h"

#include <cstring>

namespace hvym {
namespace {

uint8_t xtime(uint8_t x) { return static_cast<uint8_t>((x << 1) ^ ((x & 0x80) ? 0x1B : 0)); }

uint8_t mul(uint8_t a, uint8_t b) {
  uint8_t r = 0;
  while (b) {
    if (b & 1) r ^= a;
    a = xtime(a);
    b >>= 1;
  }
  return r;
}

struct Tables {
  uint8_t sbox[256];
  uint8_t inv[256];
};

const Tables& tables() {
  static Tables t = [] {
    Tables s{};
    for (int x = 0; x < 256; ++x) {
      // Multiplicative inverse in GF(2^8) (0 for 0): x^254.
      uint8_t y = 1, b = static_cast<uint8_t>(x);
      for (int e = 254; e; e >>= 1) {
        if (e & 1) y = mul(y, b);
        b = mul(b, b);
      }
      if (x == 0) y = 0;
      // The affine transformation.
      uint8_t r = y;
      for (int k = 1; k < 5; ++k) r ^= static_cast<uint8_t>((y << k) | (y >> (8 - k)));
      r ^= 0x63;
      s.sbox[x] = r;
      s.inv[r] = static_cast<uint8_t>(x);
    }
    return s;
  }();
  return t;
}

constexpr int kRounds = 14;

// The 15 round keys of AES-256, 16 bytes each.
void expand(const uint8_t key[32], uint8_t w[16 * (kRounds + 1)]) {
  const uint8_t* sbox = tables().sbox;
  std::memcpy(w, key, 32);
  uint8_t rcon = 1;
  for (int i = 8; i < 4 * (kRounds + 1); ++i) {
    uint8_t t[4];
    std::memcpy(t, w + 4 * (i - 1), 4);
    if (i % 8 == 0) {
      uint8_t first = t[0];
      t[0] = static_cast<uint8_t>(sbox[t[1]] ^ rcon);
      t[1] = sbox[t[2]];
      t[2] = sbox[t[3]];
      t[3] = sbox[first];
      rcon = xtime(rcon);
    } else if (i % 8 == 4) {
      for (uint8_t& b : t) b = sbox[b];
    }
    for (int k = 0; k < 4; ++k) w[4 * i + k] = static_cast<uint8_t>(w[4 * (i - 8) + k] ^ t[k]);
  }
}

void add_round_key(uint8_t s[16], const uint8_t* k) {
  for (int i = 0; i < 16; ++i) s[i] ^= k[i];
}

// InvShiftRows and InvSubBytes (the state is column-major: s[4*c + r]).
void inv_shift_sub(uint8_t s[16], const uint8_t* inv) {
  uint8_t t[16];
  for (int c = 0; c < 4; ++c)
    for (int r = 0; r < 4; ++r) t[4 * ((c + r) % 4) + r] = s[4 * c + r];
  for (int i = 0; i < 16; ++i) s[i] = inv[t[i]];
}

void inv_mix_columns(uint8_t s[16]) {
  for (int c = 0; c < 4; ++c) {
    uint8_t* a = s + 4 * c;
    uint8_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    a[0] = mul(a0, 14) ^ mul(a1, 11) ^ mul(a2, 13) ^ mul(a3, 9);
    a[1] = mul(a0, 9) ^ mul(a1, 14) ^ mul(a2, 11) ^ mul(a3, 13);
    a[2] = mul(a0, 13) ^ mul(a1, 9) ^ mul(a2, 14) ^ mul(a3, 11);
    a[3] = mul(a0, 11) ^ mul(a1, 13) ^ mul(a2, 9) ^ mul(a3, 14);
  }
}

void decrypt_block(const uint8_t* w, uint8_t s[16]) {
  const uint8_t* inv = tables().inv;
  add_round_key(s, w + 16 * kRounds);
  for (int round = kRounds - 1; round > 0; --round) {
    inv_shift_sub(s, inv);
    add_round_key(s, w + 16 * round);
    inv_mix_columns(s);
  }
  inv_shift_sub(s, inv);
  add_round_key(s, w);
}

}  // namespace

void aes256_decrypt_block(const uint8_t key[32], const uint8_t in[16], uint8_t out[16]) {
  uint8_t w[16 * (kRounds + 1)];
  expand(key, w);
  std::memcpy(out, in, 16);
  decrypt_block(w, out);
}

bool aes256_cbc_decrypt(const uint8_t key[32], const uint8_t iv[16], const uint8_t* in, size_t n,
                        uint8_t* out) {
  if (n % 16) return false;
  uint8_t w[16 * (kRounds + 1)];
  expand(key, w);
  uint8_t prev[16], block[16];
  std::memcpy(prev, iv, 16);
  for (size_t off = 0; off < n; off += 16) {
    std::memcpy(block, in + off, 16);
    uint8_t s[16];
    std::memcpy(s, block, 16);
    decrypt_block(w, s);
    for (int i = 0; i < 16; ++i) out[off + i] = s[i] ^ prev[i];
    std::memcpy(prev, block, 16);
  }
  return true;
}

}  // namespace hvym
