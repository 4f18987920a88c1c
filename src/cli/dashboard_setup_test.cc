#include "cli/dashboard_setup.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "admin/dashboard_definition.h"
#include "store/sqlite_dashboard_store.h"
#include "store/store_file_test.h"

namespace costgate::cli {
namespace {

using Kind = DashboardStep::Kind;

class DashboardSetupTest : public store::StoreFileTest {
 protected:
  void SetUp() override {
    StoreFileTest::SetUp();
    auto ds = store::openSqliteDashboardStore(path_);
    ASSERT_TRUE(ds.ok()) << ds.error();
    ds_ = std::move(*ds);
  }
  DashboardStep setup(bool reset = false) {
    auto step = planDashboardSetup(ds_.get(), "Dash", reset);
    EXPECT_TRUE(step.ok()) << step.error();
    EXPECT_TRUE(applyDashboardStep(*ds_, *step, now_).ok());
    return *step;
  }
  std::unique_ptr<store::DashboardStore> ds_;
  const TimePoint now_{std::chrono::milliseconds(1000)};
};

TEST_F(DashboardSetupTest, CreatesThenLeavesAlone) {
  DashboardStep first = setup();
  EXPECT_EQ(first.kind, Kind::kCreate);
  EXPECT_EQ(first.text, "create dashboard Dash (11 widgets)");
  auto stored = ds_->getDashboard("Dash");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->definition_json, boost::json::serialize(admin::defaultDashboard("Dash")));
  EXPECT_EQ((*stored)->origin, store::DashboardOrigin::kSetup);
  EXPECT_EQ(setup().kind, Kind::kNothing);
}

TEST_F(DashboardSetupTest, RefreshesItsOwnOldDefinition) {
  ASSERT_TRUE(
      ds_->putDashboard({"Dash", R"({"widgets":[]})", store::DashboardOrigin::kSetup, now_}).ok());
  DashboardStep step = setup();
  EXPECT_EQ(step.kind, Kind::kRefresh);
  EXPECT_EQ(step.text, "update dashboard Dash to this costgate's default definition");
  EXPECT_EQ((*ds_->getDashboard("Dash"))->definition_json,
            boost::json::serialize(admin::defaultDashboard("Dash")));
}

TEST_F(DashboardSetupTest, KeepsAnEditUnlessReset) {
  const store::StoredDashboard edited{"Dash", R"({"widgets":[]})", store::DashboardOrigin::kApi,
                                      now_};
  ASSERT_TRUE(ds_->putDashboard(edited).ok());
  DashboardStep kept = setup();
  EXPECT_EQ(kept.kind, Kind::kKeepEdited);
  EXPECT_FALSE(kept.changes());
  EXPECT_EQ(**ds_->getDashboard("Dash"), edited);
  EXPECT_EQ(setup(/*reset=*/true).kind, Kind::kReset);
  EXPECT_EQ((*ds_->getDashboard("Dash"))->origin, store::DashboardOrigin::kSetup);
}

TEST_F(DashboardSetupTest, UnsetupDeletesItAndDryRunsNeedNoStore) {
  setup();
  auto removal = planDashboardRemoval(ds_.get(), "Dash");
  ASSERT_TRUE(removal.ok());
  EXPECT_EQ(removal->text, "delete dashboard Dash");
  ASSERT_TRUE(applyDashboardStep(*ds_, *removal, now_).ok());
  EXPECT_FALSE(ds_->getDashboard("Dash")->has_value());
  EXPECT_EQ(planDashboardRemoval(ds_.get(), "Dash")->kind, Kind::kNothing);
  EXPECT_EQ(planDashboardSetup(nullptr, "Dash", false)->kind, Kind::kCreate);
  EXPECT_EQ(planDashboardSetup(nullptr, "", false)->kind, Kind::kNothing);
  EXPECT_FALSE(planDashboardSetup(nullptr, "a/b", false).ok());
}

}  // namespace
}  // namespace costgate::cli
