// GET /api/v1/usage answered without a server: authorization, parameters, exact rows in JSON and
// CSV, over a real store file.

#include "admin/usage_api.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "admin/admin_test_support.h"
#include "store/sqlite_ledger.h"
#include "store/sqlite_reports.h"
#include "store/store_file_test.h"

namespace costgate::admin {
namespace {

namespace json = boost::json;

TimePoint utc(std::string_view text) {
  TimePoint t;
  EXPECT_TRUE(parseIso8601(text, t)) << text;
  return t;
}

class UsageApiTest : public store::StoreFileTest {
 protected:
  void SetUp() override {
    StoreFileTest::SetUp();
    auto ledger = store::openSqliteLedger(path_, store::LedgerDurability::kProcessCrash);
    ASSERT_TRUE(ledger.ok()) << ledger.error();
    std::vector<metering::UsageRecord> records;
    // profile, start, plain input cost, output cost
    for (auto [profile, start, in, out] :
         {std::tuple{"c1web0000001", "2026-05-02T10:00:00Z", "0.001", "0.002"},
          std::tuple{"c1code000002", "2026-05-03T10:00:00Z", "0.0001", "0.0003"},
          std::tuple{"c1code000002", "2026-05-03T11:00:00Z", "0.0001", "0.0003"},
          std::tuple{"c2web0000003", "2026-05-02T12:00:00Z", "0.5", "1.25"},
          std::tuple{"solo00000004", "2026-05-19T23:59:59Z", "0.000000000000000001", "0"},
          std::tuple{"c2web0000003", "2026-04-30T23:59:59Z", "7", "7"}}) {
      const profiles::Profile* p = t.snap->profiles.byId(profile);
      metering::UsageRecord r;
      r.call_id = "call" + std::to_string(records.size());
      r.started_at = r.ended_at = utc(start);
      r.profile_id = p->id;
      r.profile_name = p->name;
      r.tags = p->tags;
      r.model_id = p->name == "c2_web" ? "nova" : "haiku";
      r.region = "us-west-2";
      r.usage = {100, 10, 0, 0};
      r.cost.plain_input = *Money::parse(in);
      r.cost.output = *Money::parse(out);
      records.push_back(std::move(r));
    }
    ASSERT_TRUE((*ledger)->append(records).ok());
    auto reports = store::openSqliteUsageReports(path_);
    ASSERT_TRUE(reports.ok()) << reports.error();
    holder_ = std::make_unique<gateway::SnapshotHolder>(t.snap);
    api_ = std::make_unique<UsageApi>(*holder_, std::move(*reports), clock_, AuthOptions{});
  }

  http::Response get(std::string query, const std::string& key) {
    return api_->answer(TestTenancy::request(std::move(query), key));
  }
  json::value getJson(std::string query, const std::string& key) {
    http::Response r = get(std::move(query), key);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers.get("content-type"), "application/json");
    return json::parse(r.body);
  }
  static std::string error(int status, std::string_view type, std::string_view message) {
    return std::to_string(status) + " " + http::errorBody(type, message);
  }
  static std::string got(const http::Response& r) {
    return std::to_string(r.status) + " " + r.body;
  }

  TestTenancy t;
  FakeClock clock_{utc("2026-05-20T12:00:00Z")};
  std::unique_ptr<gateway::SnapshotHolder> holder_;
  std::unique_ptr<UsageApi> api_;
};

TEST_F(UsageApiTest, AdminSeesEveryTenantThisMonthByDefault) {
  json::value v = getJson("group_by=tag:TenantID", t.admin_key);
  EXPECT_EQ(v.at("from"), "2026-05-01T00:00:00.000Z");
  EXPECT_EQ(v.at("to"), "2026-05-21T00:00:00.000Z");
  EXPECT_EQ(v.at("granularity"), "total");
  EXPECT_EQ(v.at("group_by"), json::array({"tag:TenantID"}));
  EXPECT_EQ(v.at("archived_before"), nullptr);
  const json::array& rows = v.at("rows").as_array();
  ASSERT_EQ(rows.size(), 3u) << v;
  EXPECT_EQ(rows[0], json::parse(R"({"group": {"tag:TenantID": "customer1"}, "calls": 3,
      "failures": 0, "input_tokens": 300, "output_tokens": 30, "cache_read_tokens": 0,
      "cache_write_tokens": 0, "input_cost_usd": "0.0012", "output_cost_usd": "0.0026",
      "total_cost_usd": "0.0038"})"));
  EXPECT_EQ(rows[1].at("group").at("tag:TenantID"), "customer2");
  EXPECT_EQ(rows[1].at("total_cost_usd"), "1.75") << "April's call is outside the default range";
  EXPECT_EQ(rows[2].at("group").at("tag:TenantID"), nullptr) << "solo has no TenantID tag";
  EXPECT_EQ(rows[2].at("total_cost_usd"), "0.000000000000000001");
  EXPECT_EQ(v.at("totals").at("calls"), 5);
  EXPECT_EQ(v.at("totals").at("total_cost_usd"), "1.753800000000000001");
}

TEST_F(UsageApiTest, TenantSeesOnlyItsOwnProfiles) {
  json::value v =
      getJson("group_by=tag:TenantID,profile&granularity=day&from=2026-04", t.customer1_key);
  const json::array& rows = v.at("rows").as_array();
  ASSERT_EQ(rows.size(), 2u) << v;
  EXPECT_EQ(rows[0].at("group"), json::parse(R"({"tag:TenantID": "customer1",
                                                  "profile": "c1_code"})"));
  EXPECT_EQ(rows[0].at("period_start"), "2026-05-03T00:00:00.000Z");
  EXPECT_EQ(rows[0].at("calls"), 2);
  EXPECT_EQ(rows[0].at("total_cost_usd"), "0.0008");
  EXPECT_EQ(rows[1].at("group").at("profile"), "c1_web");
  EXPECT_EQ(v.at("totals").at("total_cost_usd"), "0.0038");

  EXPECT_EQ(
      getJson("profile=c1_web&tenant=customer1", t.customer1_key).at("totals").at("total_cost_usd"),
      "0.003");
  EXPECT_EQ(got(get("profile=c2_web", t.customer1_key)),
            error(403, "permission_denied", "this key may not see profile \"c2_web\""));
  EXPECT_EQ(got(get("tenant=customer2", t.customer1_key)),
            error(403, "permission_denied", "this key may not see tenant \"customer2\""));
  EXPECT_EQ(getJson("from=2026-04-01", t.customer2_key).at("totals").at("total_cost_usd"), "15.75");
}

TEST_F(UsageApiTest, NoKeyIs401) {
  EXPECT_EQ(got(get("", "")),
            error(401, "authentication_error",
                  "missing API key: send Authorization: Bearer KEY or x-api-key: KEY"));
  EXPECT_EQ(got(get("", t.revoked_key)),
            error(401, "authentication_error", "invalid or revoked API key"));
}

TEST_F(UsageApiTest, BadParametersArePreciseErrors) {
  auto bad = [](std::string_view message) { return error(400, "invalid_request_error", message); };
  EXPECT_EQ(got(get("grop_by=model", t.admin_key)),
            bad("unknown parameter \"grop_by\" (expected from, to, group_by, granularity, "
                "profile, tenant or format)"));
  EXPECT_EQ(got(get("from=2026-05-01&from=2026-05-02", t.admin_key)),
            bad("parameter \"from\" is given twice"));
  EXPECT_EQ(got(get("from=last%20week", t.admin_key)),
            bad("from: \"last week\" is not a UTC date or time: use YYYY-MM, YYYY-MM-DD or "
                "YYYY-MM-DDTHH:MM:SSZ"));
  EXPECT_EQ(got(get("from=2026-05-10&to=2026-05-01", t.admin_key)),
            bad("from 2026-05-10T00:00:00.000Z is not before to 2026-05-01T00:00:00.000Z"));
  EXPECT_EQ(got(get("group_by=tenant", t.admin_key)),
            bad("cannot group by \"tenant\": use tag:KEY, model, profile or region, separated "
                "by commas"));
  EXPECT_EQ(got(get("granularity=week", t.admin_key)),
            bad("granularity \"week\" is not one of \"day\", \"month\" or \"total\""));
  EXPECT_EQ(got(get("format=xml", t.admin_key)), bad("format \"xml\" is not \"json\" or \"csv\""));
  EXPECT_EQ(got(get("profile=nope", t.admin_key)),
            error(404, "profile_not_found", "no profile has the id, ARN or name \"nope\""));
}

TEST_F(UsageApiTest, Csv) {
  http::Response r =
      get("group_by=model,tag:tenantid&granularity=month&from=2026-04-01&format=csv", t.admin_key);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.get("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(r.body,
            "model,tag:tenantid,period_start,calls,failures,input_tokens,output_tokens,"
            "cache_read_tokens,cache_write_tokens,input_cost_usd,output_cost_usd,"
            "total_cost_usd\r\n"
            "haiku,customer1,2026-05-01,3,0,300,30,0,0,0.0012,0.0026,0.0038\r\n"
            "haiku,(none),2026-05-01,1,0,100,10,0,0,0.000000000000000001,0,"
            "0.000000000000000001\r\n"
            "nova,customer2,2026-04-01,1,0,100,10,0,0,7,7,14\r\n"
            "nova,customer2,2026-05-01,1,0,100,10,0,0,0.5,1.25,1.75\r\n");
}

}  // namespace
}  // namespace costgate::admin
