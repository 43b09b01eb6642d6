// AES-256 decryption, for the Python CLI's enc_db.json (AES-256-CBC) only:
// libsodium has no CBC, and hvym never encrypts with AES.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hvym {

// One block (FIPS-197 vectors test it).
void aes256_decrypt_block(const uint8_t key[32], const uint8_t in[16], uint8_t out[16]);

// CBC decryption of n bytes (a multiple of 16; false otherwise). in and out
// may not overlap.
bool aes256_cbc_decrypt(const uint8_t key[32], const uint8_t iv[16], const uint8_t* in, size_t n,
                        uint8_t* out);

}  // namespace hvym
