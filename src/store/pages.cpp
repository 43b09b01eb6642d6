#include "store/pages.h"

#include <cstring>
#include <vector>

namespace hvym::pages {
namespace {

// LMDB 0.9's on-disk layout (its mdb.c; host byte order, 64-bit page numbers).
constexpr size_t kPageHeader = 16;  // pgno(8) pad(2) flags(2) lower(2) upper(2) | pages(4)
constexpr uint16_t kBranch = 0x01, kLeaf = 0x02, kOverflow = 0x04, kMeta = 0x08, kLeaf2 = 0x20;  // page flags
constexpr uint16_t kBigData = 0x01, kSubData = 0x02, kDupData = 0x04;  // leaf node flags
constexpr size_t kNodeHeader = 8;  // lo(2) hi(2) flags(2) ksize(2)
constexpr uint32_t kMagic = 0xBEEFC0DE;
constexpr uint32_t kDataVersion = 1;
// The meta page's fields, from the page's start.
constexpr size_t kMetaMagic = 16, kMetaVersion = 20, kMetaDbs = 40, kDbSize = 48, kMetaLastPg = 136,
                 kMetaTxnid = 144;
// An MDB_db's fields: pad(4) flags(2) depth(2) branch leaf overflow entries root (8 each).
constexpr size_t kDbFlags = 4, kDbDepth = 6, kDbBranch = 8, kDbLeaf = 16, kDbOverflow = 24, kDbEntries = 32,
                 kDbRoot = 40;
constexpr uint64_t kNoPage = ~uint64_t{0};
constexpr unsigned kMaxDepth = 32;  // LMDB's cursor stack
constexpr uint16_t kIntegerKey = 0x08, kDupSort = 0x04;  // database flags

template <class T>
T rd(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

struct Walker {
  const unsigned char* file;
  size_t psize;
  uint64_t last;
  std::vector<unsigned char> use;  // per page: 0 unseen, 1 in a tree, 2 free
  Damage damage;
  uint64_t branch = 0, leaf = 0, overflow = 0, entries = 0;

  bool fail(std::string what, bool free_list) {
    if (damage.what.empty()) damage = {std::move(what), free_list};
    return false;
  }
  const unsigned char* page(uint64_t pg) const { return file + pg * psize; }

  bool claim(uint64_t pg, uint64_t n, unsigned char how, bool free_list) {
    if (pg < 2 || pg > last || n > last - pg + 1)
      return fail((free_list ? "free list: page " : "page ") + std::to_string(pg) +
                      (n > 1 ? " (and " + std::to_string(n - 1) + " after it)" : "") +
                      " is outside the file's " + std::to_string(last + 1) + " pages",
                  free_list);
    for (uint64_t k = pg; k < pg + n; ++k)
      if (use[k]) {
        std::string pre = free_list ? "free list: " : "";
        return fail(pre + "page " + std::to_string(k) +
                        (how == 2 && use[k] == 2   ? " is listed free twice"
                         : how == 2 || use[k] == 2 ? " is both free and in use"
                                                   : " is used twice"),
                    free_list);
      } else {
        use[k] = how;
      }
    return true;
  }

  using Leaf = std::function<bool(const unsigned char* key, size_t ksize, const unsigned char* data,
                                  size_t dsize)>;

  // One page of a tree at `level` (1: the root) of `depth` levels.
  bool visit(uint64_t pg, unsigned level, unsigned depth, bool free_list, const Leaf& on_leaf) {
    std::string at = (free_list ? "free list: page " : "page ") + std::to_string(pg);
    if (!claim(pg, 1, 1, free_list)) return false;
    const unsigned char* p = page(pg);
    if (rd<uint64_t>(p) != pg) return fail(at + " holds page " + std::to_string(rd<uint64_t>(p)), free_list);
    uint16_t flags = rd<uint16_t>(p + 10);
    bool is_leaf = level == depth;
    // On disk a tree page is a branch, a leaf or a leaf of fixed-size keys,
    // nothing else: LMDB clears P_DIRTY before it writes a page, and one
    // that says dirty would be written in place (in the read-only map).
    if (flags != (is_leaf ? kLeaf : kBranch) && flags != (is_leaf ? (kLeaf | kLeaf2) : kBranch))
      return fail(at + " is not the " + (is_leaf ? "leaf" : "branch") + " page its tree needs", free_list);
    uint16_t lower = rd<uint16_t>(p + 12), upper = rd<uint16_t>(p + 14);
    if (lower < kPageHeader || lower > upper || upper > psize || (lower - kPageHeader) % 2)
      return fail(at + " has a garbled header", free_list);
    size_t n = (lower - kPageHeader) / 2;
    if (n == 0) return fail(at + " is empty", free_list);
    // A branch page of any database but the free list's has two children
    // at least (LMDB asserts it on every search through one).
    if (!is_leaf && n < 2 && !free_list) return fail(at + " is a branch page with one child", free_list);
    if (is_leaf) {
      ++leaf;
      entries += n;
    } else {
      ++branch;
    }
    if (flags & kLeaf2) return is_leaf || fail(at + " has a garbled header", free_list);
    for (size_t i = 0; i < n; ++i) {
      size_t off = rd<uint16_t>(p + kPageHeader + 2 * i);
      if (off < upper || off + kNodeHeader > psize) return fail(at + ": node " + std::to_string(i) + " lies outside it", free_list);
      const unsigned char* node = p + off;
      uint16_t lo = rd<uint16_t>(node), hi = rd<uint16_t>(node + 2), nflags = rd<uint16_t>(node + 4),
               ksize = rd<uint16_t>(node + 6);
      if (off + kNodeHeader + ksize > psize) return fail(at + ": node " + std::to_string(i) + " lies outside it", free_list);
      const unsigned char* key = node + kNodeHeader;
      if (!is_leaf) {
        uint64_t child = lo | (uint64_t{hi} << 16) | (uint64_t{nflags} << 32);
        if (!visit(child, level + 1, depth, free_list, on_leaf)) return false;
        continue;
      }
      size_t dsize = lo | (size_t{hi} << 16);
      const unsigned char* data = key + ksize;
      if (nflags & kBigData) {
        if (off + kNodeHeader + ksize + 8 > psize) return fail(at + ": node " + std::to_string(i) + " lies outside it", free_list);
        uint64_t ov = rd<uint64_t>(data);
        std::string ovat = (free_list ? "free list: page " : "page ") + std::to_string(ov);
        if (ov < 2 || ov > last) return claim(ov, 1, 1, free_list);
        const unsigned char* op = page(ov);
        uint32_t count = rd<uint32_t>(op + 12);
        if (rd<uint64_t>(op) != ov || rd<uint16_t>(op + 10) != kOverflow || count == 0)
          return fail(ovat + " is not the overflow page a record needs", free_list);
        if (!claim(ov, count, 1, free_list)) return false;
        if (uint64_t{count} * psize - kPageHeader < dsize) return fail(ovat + " is too short for its record", free_list);
        overflow += count;
        data = op + kPageHeader;
      } else if (off + kNodeHeader + ksize + dsize > psize) {
        return fail(at + ": node " + std::to_string(i) + " lies outside it", free_list);
      }
      if ((nflags & kSubData) && !(nflags & kBigData)) {
        if (dsize < kDbSize) return fail(at + ": node " + std::to_string(i) + " has a garbled database", free_list);
        if (!walk_subtree(data, free_list)) return false;
        continue;
      }
      if (nflags & kDupData) continue;  // a sub-page inside this one
      if (on_leaf && !on_leaf(key, ksize, data, dsize)) return false;
    }
    return true;
  }

  bool walk_subtree(const unsigned char* db, bool free_list) {
    uint64_t b = branch, l = leaf, o = overflow, e = entries;
    bool ok = tree(db, free_list ? "free list" : "a sub-database", free_list, nullptr);
    branch = b, leaf = l, overflow = o, entries = e;  // counted in its own record, not its parent's
    return ok;
  }

  // A whole tree from its MDB_db record; its page counts must match.
  bool tree(const unsigned char* db, const char* name, bool free_list, const Leaf& on_leaf) {
    branch = leaf = overflow = entries = 0;
    uint64_t root = rd<uint64_t>(db + kDbRoot);
    unsigned depth = rd<uint16_t>(db + kDbDepth);
    if (root == kNoPage) {
      if (rd<uint64_t>(db + kDbEntries) || depth) return fail(std::string(name) + ": an empty tree records entries", free_list);
      return true;
    }
    if (depth == 0 || depth > kMaxDepth) return fail(std::string(name) + ": a depth of " + std::to_string(depth), free_list);
    if (!visit(root, 1, depth, free_list, on_leaf)) return false;
    if (branch != rd<uint64_t>(db + kDbBranch) || leaf != rd<uint64_t>(db + kDbLeaf) ||
        overflow != rd<uint64_t>(db + kDbOverflow) ||
        (!(rd<uint16_t>(db + kDbFlags) & kDupSort) && entries != rd<uint64_t>(db + kDbEntries)))
      return fail(std::string(name) + ": " + std::to_string(branch + leaf + overflow) + " pages and " +
                      std::to_string(entries) + " records reached, " +
                      std::to_string(rd<uint64_t>(db + kDbBranch) + rd<uint64_t>(db + kDbLeaf) +
                                     rd<uint64_t>(db + kDbOverflow)) +
                      " and " + std::to_string(rd<uint64_t>(db + kDbEntries)) + " recorded",
                  free_list);
    return true;
  }
};

}  // namespace

Damage check(const ReadAt& read, uint64_t txnid, bool newer_ok, size_t psize, size_t map_size) {
  if (psize < 512 || psize > 65536 || (psize & (psize - 1))) return {"a page size of " + std::to_string(psize), false};
  auto read_all = [&](unsigned char* buf, size_t n, uint64_t at) {
    for (size_t got = 0; got < n;) {
      long long r = read(buf + got, n - got, at + got);
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return true;
  };
  std::vector<unsigned char> metas(2 * psize);
  if (!read_all(metas.data(), metas.size(), 0)) return {"its meta pages cannot be read", false};
  // The meta page of `txnid` (or, for a reader, the newest after it).
  const unsigned char *exact = nullptr, *newest = nullptr;
  for (int i = 0; i < 2; ++i) {
    const unsigned char* m = metas.data() + i * psize;
    if (rd<uint32_t>(m + kMetaMagic) != kMagic || rd<uint32_t>(m + kMetaVersion) != kDataVersion ||
        rd<uint16_t>(m + 10) != kMeta || rd<uint32_t>(m + kMetaDbs) != psize)
      continue;
    uint64_t id = rd<uint64_t>(m + kMetaTxnid);
    if (id == txnid && !exact) exact = m;
    if (newer_ok && id > txnid && (!newest || id > rd<uint64_t>(newest + kMetaTxnid))) newest = m;
  }
  const unsigned char* meta = exact ? exact : newest;
  if (!meta) return {"no meta page records transaction " + std::to_string(txnid), false};
  uint64_t last = rd<uint64_t>(meta + kMetaLastPg);
  if (last < 1 || last >= map_size / psize) return {"its meta page claims " + std::to_string(last + 1) + " pages", false};
  std::vector<unsigned char> file((last + 1) * psize);
  if (!read_all(file.data(), file.size(), 0))
    return {"data.mdb is shorter than the " + std::to_string(last + 1) + " pages its meta page claims", false};

  Walker w{file.data(), psize, last, std::vector<unsigned char>(last + 1), {}};
  unsigned char main_db[kDbSize], free_db[kDbSize];  // from the meta read above, not the file read now
  std::memcpy(free_db, meta + kMetaDbs, kDbSize);
  std::memcpy(main_db, meta + kMetaDbs + kDbSize, kDbSize);
  if (!w.tree(main_db, "the main database", false, nullptr)) return w.damage;
  if (!(rd<uint16_t>(free_db + kDbFlags) & kIntegerKey) && rd<uint64_t>(free_db + kDbRoot) != kNoPage)
    return {"free list: its database flags are garbled", true};
  // The free list's records: key a transaction id (ascending), value a
  // count and that many page numbers, descending (a record LMDB reserved
  // may be longer than its count says).
  struct Record {
    uint64_t txn;
    std::vector<uint64_t> pages;
  };
  std::vector<Record> records;
  bool ok = w.tree(free_db, "free list", true, [&](const unsigned char* key, size_t ksize,
                                                    const unsigned char* data, size_t dsize) {
    if (ksize != 8) return w.fail("free list: a record's key of " + std::to_string(ksize) + " bytes", true);
    uint64_t txn = rd<uint64_t>(key);
    if (!records.empty() && txn <= records.back().txn)
      return w.fail("free list: records out of order (" + std::to_string(txn) + " after " +
                        std::to_string(records.back().txn) + ")",
                    true);
    if (dsize < 8 || dsize % 8)
      return w.fail("free list: record " + std::to_string(txn) + " is " + std::to_string(dsize) + " bytes", true);
    uint64_t count = rd<uint64_t>(data);
    if (count > dsize / 8 - 1)
      return w.fail("free list: record " + std::to_string(txn) + " counts " + std::to_string(count) +
                        " pages in room for " + std::to_string(dsize / 8 - 1),
                    true);
    Record r{txn, {}};
    r.pages.reserve(count);
    for (uint64_t i = 1; i <= count; ++i) {
      uint64_t pg = rd<uint64_t>(data + 8 * i);
      if (!r.pages.empty() && pg >= r.pages.back())
        return w.fail("free list: record " + std::to_string(txn) + " is out of order", true);
      r.pages.push_back(pg);
    }
    records.push_back(std::move(r));
    return true;
  });
  if (!ok) return w.damage;
  for (const Record& r : records)
    for (uint64_t pg : r.pages)
      if (!w.claim(pg, 1, 2, true)) return w.damage;
  uint64_t unseen = 0;
  for (uint64_t pg = 2; pg <= last; ++pg) unseen += w.use[pg] == 0;
  if (unseen)
    return {"free list: " + std::to_string(unseen) + " of " + std::to_string(last + 1) +
                " pages are neither in use nor free",
            true};
  return {};
}

}  // namespace hvym::pages
