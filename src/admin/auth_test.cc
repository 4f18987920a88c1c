// Who may read what through /api/v1/*: keys, open mode, and which profiles each caller sees.

#include "admin/auth.h"

#include <gtest/gtest.h>

#include "admin/admin_test_support.h"

namespace costgate::admin {
namespace {

using Ids = std::optional<std::vector<std::string>>;

class AdminAuthTest : public ::testing::Test {
 protected:
  TestTenancy t;
  ApiResult<identity::Principal> auth(const http::Request& r, bool open_mode = false) {
    return authorize(r, *t.snap, {.open_mode = open_mode});
  }
  void expectError(const ApiError& e, int status, std::string_view type, std::string_view message) {
    EXPECT_EQ(e.status, status);
    EXPECT_EQ(e.type, type);
    EXPECT_EQ(e.message, message);
    http::Response r = e.response();
    EXPECT_EQ(r.status, status);
    EXPECT_EQ(r.headers.get("content-type"), "application/json");
    EXPECT_EQ(r.body, http::errorBody(type, message));
  }
  ApiResult<Ids> scope(const identity::Principal& p, std::vector<std::string> refs = {},
                       std::optional<std::string> tenant = std::nullopt) {
    return scopeProfiles(p, *t.snap, {std::move(refs), std::move(tenant)});
  }
  identity::Principal principal(const std::string& key) {
    auto p = auth(TestTenancy::request("", key));
    EXPECT_TRUE(p.ok());
    return *p;
  }
};

TEST_F(AdminAuthTest, KeysByBearerOrXApiKey) {
  auto admin = auth(TestTenancy::request("", t.admin_key));
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->role, identity::Role::kAdmin);
  http::Request r = TestTenancy::request();
  r.headers.add("X-Api-Key", "  " + t.customer1_key + " ");
  auto tenant = auth(r);
  ASSERT_TRUE(tenant.ok());
  EXPECT_EQ(tenant->role, identity::Role::kTenant);
  EXPECT_EQ(tenant->tenant, "customer1");
  r = TestTenancy::request();
  r.headers.add("authorization", "bEaReR " + t.customer2_key);
  EXPECT_EQ(auth(r)->tenant, "customer2");
}

TEST_F(AdminAuthTest, NoValidKeyIs401) {
  expectError(auth(TestTenancy::request()).error(), 401, "authentication_error",
              "missing API key: send Authorization: Bearer KEY or x-api-key: KEY");
  expectError(auth(TestTenancy::request("", "cgk_notakey")).error(), 401, "authentication_error",
              "invalid or revoked API key");
  expectError(auth(TestTenancy::request("", t.revoked_key)).error(), 401, "authentication_error",
              "invalid or revoked API key");
  std::string forged = t.admin_key;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  expectError(auth(TestTenancy::request("", forged)).error(), 401, "authentication_error",
              "invalid or revoked API key");
  http::Request basic = TestTenancy::request();
  basic.headers.add("Authorization", "Basic dXNlcjpwYXNz");
  basic.headers.add("x-api-key", t.admin_key);
  expectError(auth(basic).error(), 401, "authentication_error",
              "the Authorization header must be \"Bearer KEY\" (or send x-api-key: KEY); the "
              "admin API takes costgate API keys only");
}

TEST_F(AdminAuthTest, OpenModeServesKeylessCallsAsAdminButStillChecksKeys) {
  auto open = auth(TestTenancy::request(), /*open_mode=*/true);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->role, identity::Role::kAdmin);
  EXPECT_EQ(auth(TestTenancy::request("", t.customer1_key), true)->role, identity::Role::kTenant);
  EXPECT_EQ(auth(TestTenancy::request("", "cgk_bad"), true).error().status, 401);
}

TEST_F(AdminAuthTest, AdminSeesEverythingOrWhatItNames) {
  identity::Principal admin = principal(t.admin_key);
  EXPECT_EQ(*scope(admin), Ids()) << "nothing named: every profile";
  EXPECT_EQ(*scope(admin, {"c2_web", "c1web0000001", "c2_web"}),
            Ids({{"c2web0000003", "c1web0000001"}}));
  EXPECT_EQ(*scope(admin, {"arn:aws:bedrock:us-west-2:000000000000:application-inference-"
                           "profile/solo00000004"}),
            Ids({{"solo00000004"}}));
  EXPECT_EQ(*scope(admin, {}, "customer1"), Ids({{"c1web0000001", "c1code000002"}}));
  EXPECT_EQ(*scope(admin, {}, "solo"), Ids({{"solo00000004"}}))
      << "a profile without a TenantID tag is its own tenant";
  EXPECT_EQ(*scope(admin, {"c1_code", "c2_web"}, "customer1"), Ids({{"c1code000002"}}))
      << "both: the profiles in both";
  expectError(scope(admin, {"nope"}).error(), 404, "profile_not_found",
              "no profile has the id, ARN or name \"nope\"");
  expectError(scope(admin, {}, "customer9").error(), 404, "profile_not_found",
              "no profile belongs to tenant \"customer9\"");
}

TEST_F(AdminAuthTest, TenantSeesOnlyItsOwnProfiles) {
  identity::Principal c1 = principal(t.customer1_key);
  EXPECT_EQ(*scope(c1), Ids({{"c1web0000001", "c1code000002"}}))
      << "nothing named: restricted to its profiles";
  EXPECT_EQ(*scope(c1, {"c1_code"}), Ids({{"c1code000002"}}));
  EXPECT_EQ(*scope(c1, {}, "customer1"), Ids({{"c1web0000001", "c1code000002"}}));
  expectError(scope(c1, {"c2_web"}).error(), 403, "permission_denied",
              "this key may not see profile \"c2_web\"");
  expectError(scope(c1, {"c1_web", "c2web0000003"}).error(), 403, "permission_denied",
              "this key may not see profile \"c2_web\"");
  expectError(scope(c1, {}, "customer2").error(), 403, "permission_denied",
              "this key may not see tenant \"customer2\"");
  // A tenant key learns nothing about which other tenants exist.
  expectError(scope(c1, {}, "customer9").error(), 403, "permission_denied",
              "this key may not see tenant \"customer9\"");
  identity::Principal nobody{identity::Role::kTenant, "k", "ghost", {}};
  EXPECT_EQ(*scope(nobody), Ids(std::vector<std::string>{})) << "bound to nothing: sees nothing";
}

}  // namespace
}  // namespace costgate::admin
