#pragma once
// Test support: a store file in a fresh temporary folder, removed afterwards, and a read-only
// look at it with plain SQLite (for the schema tests, which check what is on disk).

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace costgate::store {

class StoreFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/costgate_store_file_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/costgate.db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // The first column of the first row, as text: "NULL" for a null, "<none>" without a row.
  std::string query(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string out = "<none>";
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(stmt, 0);
      out = t == nullptr ? "NULL" : reinterpret_cast<const char*>(t);
    }
    sqlite3_finalize(stmt);
    sqlite3_close_v2(db);
    return out;
  }

  std::string dir_;
  std::string path_;
};

}  // namespace costgate::store
