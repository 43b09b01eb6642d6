// Funding a testnet account through Stellar's Friendbot, with the curl
// executable (no TLS code in hvym).
#pragma once
#include <string>
#include <string_view>

namespace hvym {

struct Funding {
  bool funded = false;
  std::string why;  // not funded: what went wrong
};

// GET BASE/?addr=PUBLIC_KEY within 30 seconds; funded on HTTP 200.
Funding fund_testnet(std::string_view base_url, std::string_view public_key);

}  // namespace hvym
