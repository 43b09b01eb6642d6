// Published vectors: SEP-0005 (mnemonic -> G.../S...), BIP-39 (entropy ->
// words), FIPS-197 and SP 800-38A (AES-256 decryption, CBC).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "stellar/aes256.h"
#include "stellar/keys.h"

using namespace hvym;

namespace {

std::string hex(const uint8_t* p, size_t n) {
  static const char d[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s += {d[p[i] >> 4], d[p[i] & 15]};
  return s;
}

std::vector<uint8_t> unhex(std::string_view s) {
  std::vector<uint8_t> v;
  for (size_t i = 0; i + 1 < s.size(); i += 2) v.push_back(static_cast<uint8_t>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
  return v;
}

struct Sep5 {
  const char* words;
  uint32_t account;
  const char* public_key;
  const char* secret_key;
};

// SEP-0005's test cases 1 (accounts 0 and 9), 2 and 3.
const Sep5 kSep5[] = {
    {"illness spike retreat truth genius clock brain pass fit cave bargain toe", 0,
     "GDRXE2BQUC3AZNPVFSCEZ76NJ3WWL25FYFK6RGZGIEKWE4SOOHSUJUJ6",
     "SBGWSG6BTNCKCOB3DIFBGCVMUPQFYPA2G4O34RMTB343OYPXU5DJDVMN"},
    {"illness spike retreat truth genius clock brain pass fit cave bargain toe", 9,
     "GBTVYYDIYWGUQUTKX6ZMLGSZGMTESJYJKJWAATGZGITA25ZB6T5REF44",
     "SCJGVMJ66WAUHQHNLMWDFGY2E72QKSI3XGSBYV6BANDFUFE7VY4XNXXR"},
    {"resource asthma orphan phone ice canvas fire useful arch jewel impose vague theory cushion top", 0,
     "GAVXVW5MCK7Q66RIBWZZKZEDQTRXWCZUP4DIIFXCCENGW2P6W4OA34RH",
     "SAKS7I2PNDBE5SJSUSU2XLJ7K5XJ3V3K4UDFAHMSBQYPOKE247VHAGDB"},
    {"bench hurt jump file august wise shallow faculty impulse spring exact slush thunder author capable "
     "act festival slice deposit sauce coconut afford frown better",
     0, "GC3MMSXBWHL6CPOAVERSJITX7BH76YU252WGLUOM5CJX3E7UCYZBTPJQ",
     "SAEWIVK3VLNEJ3WEJRZXQGDAS5NVG2BYSYDFRSH4GKVTS5RXNVED5AX7"},
};

}  // namespace

TEST_CASE("SEP-0005 vectors: words -> seed -> m/44'/148'/N' -> G.../S...") {
  REQUIRE(stellar::crypto_ready());
  for (const Sep5& v : kSep5) {
    CAPTURE(v.words);
    CAPTURE(v.account);
    std::string normalized, why;
    REQUIRE(stellar::check_mnemonic(v.words, normalized, why));
    auto key = stellar::derive_account(stellar::mnemonic_seed(normalized), v.account);
    stellar::KeyPair kp = stellar::keypair_from_seed(key);
    CHECK(kp.public_key == v.public_key);
    CHECK(kp.secret_key == v.secret_key);
    stellar::KeyPair again;
    REQUIRE(stellar::keypair_from_secret(v.secret_key, again));
    CHECK(again.public_key == v.public_key);
    CHECK(again.x25519_pub == kp.x25519_pub);
    CHECK(kp.x25519_pub.size() == 44);
    CHECK(kp.x25519_pub.back() == '=');
  }
}

TEST_CASE("SEP-0005 test case 1: the BIP-39 seed and the m/44'/148' key") {
  std::string normalized, why;
  REQUIRE(stellar::check_mnemonic(kSep5[0].words, normalized, why));
  auto seed = stellar::mnemonic_seed(normalized);
  CHECK(hex(seed.data(), seed.size()) ==
        "e4a5a632e70943ae7f07659df1332160937fad82587216a4c64315a0fb39497e"
        "e4a01f76ddab4cba68147977f3a147b6ad584c41808e8238a07f6cc4b582f186");
}

TEST_CASE("BIP-39: entropy to words and back, checksum and list checks") {
  REQUIRE(stellar::crypto_ready());
  uint8_t zeros[32] = {};
  std::string m = stellar::mnemonic_from_entropy(zeros, 32);
  CHECK(m == "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon "
             "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art");
  uint8_t sevens[32];
  for (uint8_t& b : sevens) b = 0x7f;
  CHECK(stellar::mnemonic_from_entropy(sevens, 32) ==
        "legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful "
        "legal winner thank year wave sausage worth title");
  std::string normalized, why;
  CHECK(stellar::check_mnemonic("  Legal WINNER thank year wave sausage worth useful legal winner thank yellow\n",
                                normalized, why));
  CHECK(normalized == "legal winner thank year wave sausage worth useful legal winner thank yellow");
  CHECK_FALSE(stellar::check_mnemonic("legal winner thank year wave sausage worth useful legal winner thank year",
                                      normalized, why));
  CHECK(why.find("checksum") != std::string::npos);
  CHECK_FALSE(stellar::check_mnemonic("legal winner thank year wave sausage worth useful legal winner thank yelow",
                                      normalized, why));
  CHECK(why == "word 12 is not in the BIP-39 English list");
  CHECK_FALSE(stellar::check_mnemonic("abandon abandon abandon", normalized, why));
  for (int i = 0; i < 20; ++i) {
    std::string fresh = stellar::new_mnemonic();
    CHECK(stellar::check_mnemonic(fresh, normalized, why));
    CHECK(std::count(fresh.begin(), fresh.end(), ' ') == 23);
  }
}

TEST_CASE("strkeys: round trips; a changed character, version or length is refused") {
  const char* g = kSep5[0].public_key;
  std::array<uint8_t, 32> raw;
  REQUIRE(stellar::strkey_decode(stellar::kPublicVersion, g, raw));
  CHECK(stellar::strkey_encode(stellar::kPublicVersion, raw.data(), raw.size()) == g);
  CHECK_FALSE(stellar::strkey_decode(stellar::kSecretVersion, g, raw));  // a G... is no secret
  std::string changed = g;
  for (size_t i = 1; i < changed.size(); i += 5) {
    std::string c = changed;
    c[i] = c[i] == 'A' ? 'B' : 'A';
    CAPTURE(c);
    CHECK_FALSE(stellar::strkey_decode(stellar::kPublicVersion, c, raw));
  }
  CHECK_FALSE(stellar::strkey_decode(stellar::kPublicVersion, changed.substr(1), raw));
  CHECK_FALSE(stellar::strkey_decode(stellar::kPublicVersion, changed + "A", raw));
  CHECK_FALSE(stellar::strkey_decode(stellar::kPublicVersion, std::string(56, '1'), raw));
  const uint8_t text[] = "123456789";
  CHECK(stellar::crc16_xmodem(text, 9) == 0x31C3);  // the CRC-16/XMODEM check value
}

TEST_CASE("AES-256: FIPS-197 C.3 and SP 800-38A F.2.6 (CBC decryption)") {
  auto key = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  auto ct = unhex("8ea2b7ca516745bfeafc49904b496089");
  uint8_t out[16];
  aes256_decrypt_block(key.data(), ct.data(), out);
  CHECK(hex(out, 16) == "00112233445566778899aabbccddeeff");

  auto k2 = unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
  auto iv = unhex("000102030405060708090a0b0c0d0e0f");
  auto c2 = unhex("f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
                  "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b");
  std::vector<uint8_t> p2(c2.size());
  REQUIRE(aes256_cbc_decrypt(k2.data(), iv.data(), c2.data(), c2.size(), p2.data()));
  CHECK(hex(p2.data(), p2.size()) ==
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
  CHECK_FALSE(aes256_cbc_decrypt(k2.data(), iv.data(), c2.data(), 15, p2.data()));
}
