// The one SQLite adapter (Debian's libsqlite3; docs/adr/0020-alert-store.md): a connection and
// its prepared statements, with errors as values. Nothing else includes sqlite3.h.
//
// A Database is used by one thread at a time (the caller serialises); several Databases may open
// the same file, each from its own thread (SQLite's WAL mode lets readers run beside the one
// writer). A Statement belongs to the Database that prepared it and must not outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace soc::daemon::alerts::sql {

class Database;

// A prepared statement. Bind parameters by 1-based index, step() through the rows, read the
// columns of the current row by 0-based index. Text is copied on bind; column text is valid
// until the next step() or reset().
class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const std::optional<int64_t>& value);
  Statement& bind(int index, const std::optional<std::string>& value);
  Statement& bind_null(int index);

  // True when a row is ready, false when the statement is done. An error names the database
  // file and SQLite's reason (code "sqlite"; "sqlite_busy" when the database stayed locked).
  Result<bool> step();
  // Steps to the end (statements without rows).
  Result<void> run();
  // Ready for another execution; bindings are cleared.
  void reset();

  bool is_null(int column) const;
  int64_t int64(int column) const;
  std::string_view text(int column) const;
  std::optional<int64_t> optional_int64(int column) const;
  std::optional<std::string> optional_text(int column) const;

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

struct OpenOptions {
  bool read_only = false;
  // How long a statement waits for a lock held by another connection before failing.
  std::chrono::milliseconds busy_timeout{5'000};
};

class Database {
 public:
  // Opens (read-write: creates) the file. Foreign keys are on.
  static Result<std::unique_ptr<Database>> open(const std::string& path, const OpenOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs SQL text of one or more statements that return no rows.
  Result<void> exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // A statement prepared once per connection and reset before each use: for the hot paths.
  Result<Statement*> cached(const std::string& sql);
  int64_t last_insert_rowid() const;
  int64_t changes() const;
  const std::string& path() const { return path_; }

  // The error of the last call as a value: "PATH: REASON (while WHAT)".
  Error error(std::string_view what) const;

 private:
  friend class Statement;
  Database(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  std::string path_;
  sqlite3* db_ = nullptr;
  std::map<std::string, Statement, std::less<>> cache_;
};

// One transaction on a connection: BEGIN IMMEDIATE (the write lock at once, so that it never
// fails half way for a lock) on construction, ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  ~Transaction();
  Result<void> commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace soc::daemon::alerts::sql
