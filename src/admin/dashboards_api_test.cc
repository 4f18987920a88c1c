// GET /api/v1/profiles and /api/v1/dashboards[/{name}], PUT /api/v1/dashboards/{name}, answered
// without a server over a real store file.

#include "admin/dashboards_api.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "admin/admin_test_support.h"
#include "admin/dashboard_definition.h"
#include "store/sqlite_dashboard_store.h"
#include "store/store_file_test.h"

namespace costgate::admin {
namespace {

namespace json = boost::json;

class DashboardsApiTest : public store::StoreFileTest {
 protected:
  void SetUp() override {
    StoreFileTest::SetUp();
    auto ds = store::openSqliteDashboardStore(path_);
    ASSERT_TRUE(ds.ok()) << ds.error();
    holder_ = std::make_unique<gateway::SnapshotHolder>(t.snap);
    api_ = std::make_unique<DashboardsApi>(*holder_, std::move(*ds), clock_, AuthOptions{});
  }
  static http::Request request(std::string method, std::string path, const std::string& key,
                               std::string body = "") {
    http::Request r = TestTenancy::request("", key);
    r.method = std::move(method);
    r.path = r.target = std::move(path);
    r.body = std::move(body);
    return r;
  }
  http::Response dash(std::string method, std::string name, const std::string& key,
                      std::string body = "") {
    http::Request r = request(std::move(method), "/api/v1/dashboards/" + name, key, body);
    return api_->dashboards(r, name);
  }
  static std::string got(const http::Response& r) {
    return std::to_string(r.status) + " " + r.body;
  }
  static std::string error(int status, std::string_view type, std::string_view message) {
    return std::to_string(status) + " " + http::errorBody(type, message);
  }
  std::vector<std::string> profileNames(const std::string& key) {
    http::Response r = api_->profiles(request("GET", "/api/v1/profiles", key));
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> names;
    const json::value body = json::parse(r.body);
    for (const json::value& p : body.at("profiles").as_array())
      names.emplace_back(p.at("name").as_string());
    return names;
  }

  TestTenancy t;
  FakeClock clock_{TimePoint(std::chrono::milliseconds(1'780'000'000'000))};
  std::unique_ptr<gateway::SnapshotHolder> holder_;
  std::unique_ptr<DashboardsApi> api_;
};

TEST_F(DashboardsApiTest, ProfilesAreThoseTheKeyReachesByName) {
  EXPECT_EQ(profileNames(t.admin_key),
            (std::vector<std::string>{"c1_code", "c1_web", "c2_web", "solo"}));
  EXPECT_EQ(profileNames(t.customer1_key), (std::vector<std::string>{"c1_code", "c1_web"}));
  EXPECT_EQ(profileNames(t.customer2_key), std::vector<std::string>{"c2_web"});

  http::Response r = api_->profiles(request("GET", "/api/v1/profiles", t.customer2_key));
  EXPECT_EQ(r.headers.get("content-type"), "application/json");
  EXPECT_EQ(json::parse(r.body),
            json::parse(R"({"profiles": [{"id": "c2web0000003", "name": "c2_web",
              "arn": "arn:aws:bedrock:us-west-2:000000000000:application-inference-profile/c2web0000003",
              "model": "m", "region": "us-west-2",
              "tags": {"TenantID": "customer2", "ApplicationID": "app-c2_web"}, "tier": ""}]})"));

  EXPECT_EQ(got(api_->profiles(request("GET", "/api/v1/profiles", ""))),
            error(401, "authentication_error",
                  "missing API key: send Authorization: Bearer KEY or x-api-key: KEY"));
  EXPECT_EQ(api_->profiles(request("GET", "/api/v1/profiles", t.revoked_key)).status, 401);
}

TEST_F(DashboardsApiTest, PutThenGetAndList) {
  EXPECT_EQ(got(api_->dashboards(request("GET", "/api/v1/dashboards", t.admin_key), "")),
            "200 {\"dashboards\":[]}");
  EXPECT_EQ(got(dash("GET", "Ops", t.admin_key)),
            error(404, "dashboard_not_found", "no dashboard is named \"Ops\""));

  const std::string definition = json::serialize(defaultDashboard("Ops"));
  http::Response put = dash("PUT", "Ops", t.admin_key, definition);
  EXPECT_EQ(got(put), "200 " + definition);
  EXPECT_EQ(got(dash("GET", "Ops", t.admin_key)), "200 " + definition);
  EXPECT_EQ(got(dash("GET", "Ops", t.customer1_key)), "200 " + definition)
      << "a tenant reads the definition; the metrics API scopes its data";
  ASSERT_EQ(dash("PUT", "Billing", t.admin_key, R"({"widgets": []})").status, 200);
  EXPECT_EQ(got(api_->dashboards(request("GET", "/api/v1/dashboards", t.customer2_key), "")),
            "200 {\"dashboards\":[\"Billing\",\"Ops\"]}");

  auto reopened = store::openSqliteDashboardStore(path_);
  auto stored = (*reopened)->getDashboard("Ops");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->origin, store::DashboardOrigin::kApi);
  EXPECT_EQ((*stored)->updated_at, clock_.now());
}

TEST_F(DashboardsApiTest, PutIsForAdminsAndValidated) {
  EXPECT_EQ(got(dash("PUT", "Ops", t.customer1_key, R"({"widgets": []})")),
            error(403, "permission_denied", "only an admin key may change dashboard \"Ops\""));
  EXPECT_EQ(got(dash("PUT", "Ops", t.admin_key, "{")).substr(0, 4), "400 ");
  EXPECT_EQ(got(dash("PUT", "Ops", t.admin_key, R"({"widgets": [{"key": "x"}]})")),
            error(400, "invalid_request_error", "widgets[0].title: is required"));
  EXPECT_EQ(got(dash("PUT", "a b", t.admin_key, R"({"widgets": []})")),
            error(400, "invalid_request_error",
                  "dashboard name \"a b\" must be 1 to 255 characters of A-Z, a-z, 0-9, '_', '.' "
                  "and '-'"));
  EXPECT_EQ(got(dash("GET", "Ops", "")).substr(0, 4), "401 ");
  EXPECT_EQ(got(dash("GET", "Ops", t.admin_key)).substr(0, 4), "404 ") << "nothing was stored";
}

}  // namespace
}  // namespace costgate::admin
