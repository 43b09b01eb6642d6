// Overwriting memory that held a secret (a passphrase on a request's stdin,
// an answer with a secret key) before it is freed or reused.
#pragma once
#include <sodium.h>

#include <string>

namespace hvym {

inline void wipe(void* p, size_t n) { sodium_memzero(p, n); }
inline void wipe(std::string& s) { sodium_memzero(s.data(), s.size()); }

}  // namespace hvym
