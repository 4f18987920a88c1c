#include "store/sqlite_dashboard_store.h"

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "store/sqlite_store.h"
#include "store/store_file_test.h"

namespace costgate::store {
namespace {

class SqliteDashboardStoreTest : public StoreFileTest {
 protected:
  void SetUp() override {
    StoreFileTest::SetUp();
    auto s = openSqliteDashboardStore(path_);
    ASSERT_TRUE(s.ok()) << s.error();
    store_ = std::move(*s);
  }
  static StoredDashboard dashboard(std::string name, std::string json, DashboardOrigin origin,
                                   int64_t ms) {
    return {std::move(name), std::move(json), origin, TimePoint(std::chrono::milliseconds(ms))};
  }
  std::unique_ptr<DashboardStore> store_;
};

TEST_F(SqliteDashboardStoreTest, MigrationTenCreatesTheDashboardsTable) {
  EXPECT_GE(latestSchemaVersion(), 10);
  EXPECT_EQ(query("SELECT count(*) FROM schema_migrations WHERE version = 10"), "1");
  EXPECT_EQ(query("SELECT count(*) FROM sqlite_master WHERE name = 'dashboards'"), "1");
}

TEST_F(SqliteDashboardStoreTest, PutGetListReplaceDelete) {
  auto empty = store_->listDashboards();
  ASSERT_TRUE(empty.ok()) << empty.error();
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(store_->getDashboard("Ops")->has_value());

  // Stored byte for byte, not re-serialised.
  const StoredDashboard ops = dashboard("Ops", "{\"widgets\": [ ]}", DashboardOrigin::kSetup, 7);
  ASSERT_TRUE(store_->putDashboard(ops).ok());
  ASSERT_TRUE(store_->putDashboard(dashboard("Billing", "{}", DashboardOrigin::kApi, 8)).ok());
  EXPECT_EQ(*store_->listDashboards(), (std::vector<std::string>{"Billing", "Ops"}));
  auto got = store_->getDashboard("Ops");
  ASSERT_TRUE(got.ok()) << got.error();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, ops);
  EXPECT_FALSE(store_->getDashboard("ops")->has_value()) << "names are case-sensitive";

  const StoredDashboard edited = dashboard("Ops", "{\"title\":\"x\"}", DashboardOrigin::kApi, 9);
  ASSERT_TRUE(store_->putDashboard(edited).ok());
  EXPECT_EQ(**store_->getDashboard("Ops"), edited);
  EXPECT_EQ(store_->listDashboards()->size(), 2u);

  EXPECT_TRUE(*store_->deleteDashboard("Ops"));
  EXPECT_FALSE(*store_->deleteDashboard("Ops")) << "deleting twice is not an error";
  EXPECT_EQ(*store_->listDashboards(), std::vector<std::string>{"Billing"});
}

TEST_F(SqliteDashboardStoreTest, SharesTheFileWithTheStore) {
  auto st = openSqliteStore(path_, {.create_if_missing = false});
  ASSERT_TRUE(st.ok()) << st.error();
  ASSERT_TRUE(store_->putDashboard(dashboard("D", "{}", DashboardOrigin::kSetup, 1)).ok());
  ASSERT_TRUE((*st)->setSetting("x", "y").ok());
  auto again = openSqliteDashboardStore(path_);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(*(*again)->listDashboards(), std::vector<std::string>{"D"});
}

TEST_F(SqliteDashboardStoreTest, AnUnknownOriginIsReportedNotGuessed) {
  ASSERT_TRUE(store_->putDashboard(dashboard("D", "{}", DashboardOrigin::kSetup, 1)).ok());
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(db, "UPDATE dashboards SET origin = 'martian'", nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(db);
  }
  auto got = store_->getDashboard("D");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error(), "get dashboard \"D\": unknown origin \"martian\"");
}

}  // namespace
}  // namespace costgate::store
