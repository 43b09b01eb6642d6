#include "net/friendbot.h"

#include "store/paths.h"
#include "platform/process.h"

namespace hvym {

Funding fund_testnet(std::string_view base_url, std::string_view public_key) {
  Funding f;
  std::string curl = find_in_path("curl");
  if (curl.empty()) return f.why = "curl is not installed", f;
  std::string url(base_url);
  if (url.empty() || url.back() != '/') url += '/';
  url += "?addr=";
  url += public_key;
  // The body, then the status code on a line of its own.
  Conversation c = converse({curl, "-sS", "--max-time", "30", "-o", "-", "-w", "\n%{http_code}", url}, {});
  if (!c.started) return f.why = c.error, f;
  std::string out = c.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  size_t nl = out.rfind('\n');
  std::string code = nl == std::string::npos ? out : out.substr(nl + 1);
  std::string body = nl == std::string::npos ? "" : out.substr(0, nl);
  if (code == "200") return f.funded = true, f;
  if (c.status != 0 || code == "000" || code.empty()) {
    f.why = "cannot reach Friendbot at " + std::string(base_url) + ": " + last_line(c.err);
    return f;
  }
  f.why = "Friendbot answered HTTP " + code;
  std::string detail = last_line(body);
  if (!detail.empty()) f.why += ": " + detail;
  return f;
}

}  // namespace hvym
