// LMDB's data file checked page by page, as LMDB's own audit (mdb_audit in
// its debug builds) counts it: from the meta page of one transaction, every
// page of the main tree and of the free list's tree (FREE_DBI) is reached
// exactly once, with a header that names it and node offsets inside it;
// every free-list record is a well-formed, descending list of page numbers
// within the file that no tree uses and no other record lists; and the
// pages in use plus the free ones plus the two meta pages are all the file's
// pages. `config verify` runs it, and so does every write transaction before
// it changes anything: LMDB trusts its free list, and a damaged one made
// writers abort inside LMDB (an assertion, a corrupted heap).
//
// Reads the file through `read` (LMDB's own descriptor) into memory: a
// damaged page can make this report damage, never fault.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace hvym::pages {

// pread: up to n bytes at `at`; 0 at the end; -1 on an error.
using ReadAt = std::function<long long(void* buf, size_t n, uint64_t at)>;

struct Damage {
  std::string what;        // "" when consistent
  bool free_list = false;  // the damage is in the free list (or its tree)
};

// `txnid`: the transaction whose meta page to start from. `newer_ok`: a
// reader's snapshot may have been overwritten by later commits (its pages
// stay while it reads): then the newest meta page. `map_size`: the most
// the file may hold.
Damage check(const ReadAt& read, uint64_t txnid, bool newer_ok, size_t psize, size_t map_size);

}  // namespace hvym::pages
