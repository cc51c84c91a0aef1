// Pieces of the alert store shared by its write path (store.cpp) and its queries
// (store_query.cpp). Not part of the store's interface.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "daemon/alerts/sqlite.h"
#include "daemon/alerts/store.h"

namespace soc::daemon::alerts::detail {

inline int64_t micros(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp from_micros(int64_t us) { return Timestamp(std::chrono::microseconds(us)); }

// The columns read_record() expects, in order, for "SELECT <kAlertColumns> FROM alerts".
extern const char* const kAlertColumns;
AlertRecord read_record(const sql::Statement& s);

// "10m", "1h30m", "45s": a duration as rules write it.
std::string format_duration(std::chrono::microseconds d);

}  // namespace soc::daemon::alerts::detail

namespace soc::daemon::alerts {

// Read-only connections for queries, one per concurrent reader, opened on demand and kept.
class AlertStore::ReadPool {
 public:
  explicit ReadPool(std::string path) : path_(std::move(path)) {}

  class Lease {
   public:
    Lease(ReadPool& pool, std::unique_ptr<sql::Database> db) : pool_(pool), db_(std::move(db)) {}
    ~Lease() {
      if (db_) pool_.give_back(std::move(db_));
    }
    Lease(Lease&& o) noexcept : pool_(o.pool_), db_(std::move(o.db_)) {}
    sql::Database& operator*() { return *db_; }
    sql::Database* operator->() { return db_.get(); }

   private:
    ReadPool& pool_;
    std::unique_ptr<sql::Database> db_;
  };

  Result<Lease> acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto db = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(db));
      }
    }
    sql::OpenOptions o;
    o.read_only = true;
    auto db = sql::Database::open(path_, o);
    if (!db) return fail(db.error());
    return Lease(*this, std::move(*db));
  }

 private:
  void give_back(std::unique_ptr<sql::Database> db) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < 16) idle_.push_back(std::move(db));
  }
  std::string path_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<sql::Database>> idle_;
};

}  // namespace soc::daemon::alerts
