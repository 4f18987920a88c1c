#include "identity/principal.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <unordered_set>
#include <vector>

namespace costgate::identity {
namespace {

using profiles::Origin;
using profiles::Profile;
using profiles::Tag;

const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2025} / 6 / 1}};

Profile profile(std::string id, std::string name, std::vector<Tag> tags) {
  Profile p;
  p.id = std::move(id);
  p.name = std::move(name);
  p.tags = std::move(tags);
  return p;
}

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = generateApiKey(Role::kAdmin, "", {}, kNow, Origin::kSetup);
    acme_ = generateApiKey(Role::kTenant, "acme", {"acme00000001", "acme00000002"}, kNow,
                           Origin::kSetup);
    revoked_ = generateApiKey(Role::kTenant, "globex", {"globex000001"}, kNow, Origin::kCli);
    revoked_.record.revoked_at = kNow + std::chrono::hours(1);
    ring_ = KeyRing({admin_.record, acme_.record, revoked_.record});
  }
  NewApiKey admin_, acme_, revoked_;
  KeyRing ring_;
};

TEST_F(KeyRingTest, AdminKeyGivesAnAdminPrincipal) {
  auto p = ring_.authenticate(admin_.token);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->role, Role::kAdmin);
  EXPECT_EQ(p->key_id, admin_.record.id);
  EXPECT_EQ(p->tenant, "");
  EXPECT_TRUE(p->profile_ids.empty());
}

TEST_F(KeyRingTest, TenantKeyGivesItsTenantAndProfiles) {
  auto p = ring_.authenticate(acme_.token);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->role, Role::kTenant);
  EXPECT_EQ(p->key_id, acme_.record.id);
  EXPECT_EQ(p->tenant, "acme");
  EXPECT_EQ(p->profile_ids, (std::unordered_set<std::string>{"acme00000001", "acme00000002"}));
}

TEST_F(KeyRingTest, UnknownIdIsRefused) {
  NewApiKey stranger = generateApiKey(Role::kAdmin, "", {}, kNow, Origin::kSetup);
  EXPECT_FALSE(ring_.authenticate(stranger.token).has_value());
  EXPECT_FALSE(KeyRing().authenticate(admin_.token).has_value());
}

TEST_F(KeyRingTest, WrongSecretIsRefused) {
  // The right id with another secret.
  std::string forged = "cgk_" + admin_.record.id + "_" + std::string(43, 'A');
  ASSERT_EQ(keyIdOf(forged), std::optional<std::string>(admin_.record.id));
  EXPECT_FALSE(ring_.authenticate(forged).has_value());
  std::string one_off = admin_.token;
  one_off.back() = one_off.back() == 'x' ? 'y' : 'x';
  EXPECT_FALSE(ring_.authenticate(one_off).has_value());
  EXPECT_FALSE(ring_.authenticate(admin_.token + "x").has_value());
  EXPECT_FALSE(ring_.authenticate(admin_.token.substr(0, admin_.token.size() - 1)).has_value());
  // Another key's secret behind this key's id.
  std::string swapped = "cgk_" + admin_.record.id + acme_.token.substr(4 + 16);
  EXPECT_FALSE(ring_.authenticate(swapped).has_value());
}

TEST_F(KeyRingTest, MalformedTokensAreRefused) {
  for (const std::string& bad :
       {std::string(), std::string("cgk_"), "Bearer " + admin_.token, admin_.token + " ",
        " " + admin_.token, admin_.token + "\n", admin_.token.substr(0, 31), std::string(64, 'a'),
        "xyz_" + admin_.token.substr(4)}) {
    EXPECT_FALSE(ring_.authenticate(bad).has_value()) << bad;
  }
}

TEST_F(KeyRingTest, RevokedKeyIsRefused) {
  EXPECT_TRUE(keyMatches(revoked_.token, revoked_.record));      // the secret is right...
  EXPECT_FALSE(ring_.authenticate(revoked_.token).has_value());  // ...but the key is revoked
}

TEST(PrincipalTest, AdminReachesEveryProfile) {
  Principal admin;
  admin.role = Role::kAdmin;
  EXPECT_TRUE(admin.reaches(profile("acme00000001", "acme_search", {})));
  EXPECT_TRUE(admin.reaches(profile("other0000001", "other", {})));
}

TEST(PrincipalTest, TenantReachesOnlyItsProfiles) {
  Principal tenant;
  tenant.role = Role::kTenant;
  tenant.tenant = "acme";
  tenant.profile_ids = {"acme00000001", "acme00000002"};
  EXPECT_TRUE(tenant.reaches(profile("acme00000001", "acme_search", {})));
  EXPECT_TRUE(tenant.reaches(profile("acme00000002", "acme_coding", {})));
  // Sharing the tenant's TenantID or its name is not enough: the key's bound ids decide.
  EXPECT_FALSE(tenant.reaches(profile("acme00000003", "acme", {{"TenantID", "acme"}})));
  EXPECT_FALSE(tenant.reaches(profile("ACME00000001", "x", {})));

  Principal none;  // a tenant key bound to nothing reaches nothing
  EXPECT_FALSE(none.reaches(profile("acme00000001", "acme_search", {})));
}

TEST(PrincipalTenantOfTest, UsesTheTenantIdTagCaseInsensitively) {
  EXPECT_EQ(tenantOf(profile("p00000000001", "acme_search",
                             {{"Environment", "Prod"}, {"TenantID", "acme"}})),
            "acme");
  EXPECT_EQ(tenantOf(profile("p00000000001", "acme_search", {{"tenantid", "acme"}})), "acme");
  EXPECT_EQ(tenantOf(profile("p00000000001", "acme_search", {{"TENANTID", "Acme"}})), "Acme");
}

TEST(PrincipalTenantOfTest, ElseTheProfileName) {
  EXPECT_EQ(tenantOf(profile("p00000000001", "lonely", {})), "lonely");
  EXPECT_EQ(tenantOf(profile("p00000000001", "lonely", {{"Tenant", "acme"}, {"TenantIDs", "x"}})),
            "lonely");
}

TEST(PrincipalGroupByTenantTest, GroupsProfilesSharingATenant) {
  std::vector<Profile> ps = {
      profile("c1search0001", "customer1_websearch", {{"TenantID", "customer1"}}),
      profile("c2search0003", "customer2_websearch", {{"TenantID", "customer2"}}),
      profile("c1coding0002", "customer1_codingbot", {{"tenantid", "customer1"}}),
      profile("solo00000001", "solo", {{"Environment", "Dev"}}),
      profile("c2coding0004", "customer2_codingbot", {{"TenantID", "customer2"}}),
  };
  std::vector<TenantGroup> groups = groupByTenant(ps);
  ASSERT_EQ(groups.size(), 3u);  // in order of first appearance
  EXPECT_EQ(groups[0].tenant, "customer1");
  EXPECT_EQ(groups[0].profile_ids, (std::vector<std::string>{"c1search0001", "c1coding0002"}));
  EXPECT_EQ(groups[0].profile_names,
            (std::vector<std::string>{"customer1_websearch", "customer1_codingbot"}));
  EXPECT_EQ(groups[1].tenant, "customer2");
  EXPECT_EQ(groups[1].profile_ids, (std::vector<std::string>{"c2search0003", "c2coding0004"}));
  EXPECT_EQ(groups[2].tenant, "solo");
  EXPECT_EQ(groups[2].profile_ids, (std::vector<std::string>{"solo00000001"}));
  EXPECT_EQ(groups[2].profile_names, (std::vector<std::string>{"solo"}));
}

TEST(PrincipalGroupByTenantTest, EachProfileWithoutTenantIdGetsItsOwnGroup) {
  std::vector<Profile> ps = {
      profile("a00000000001", "a", {}),
      profile("b00000000001", "b", {{"Environment", "Dev"}}),
      profile("c00000000001", "c", {}),
  };
  std::vector<TenantGroup> groups = groupByTenant(ps);
  ASSERT_EQ(groups.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(groups[i].profile_ids, (std::vector<std::string>{ps[i].id}));
    EXPECT_EQ(groups[i].tenant, ps[i].name);
  }
  EXPECT_TRUE(groupByTenant({}).empty());
}

TEST(PrincipalGroupByTenantTest, UntaggedProfileNamedLikeATenantStillGetsItsOwnGroup) {
  // Profile "acme" has no TenantID; it is not tenant acme's and must not share acme's key.
  std::vector<Profile> ps = {
      profile("acme00000001", "acme_search", {{"TenantID", "acme"}}),
      profile("other0000001", "acme", {}),
      profile("acme00000002", "acme_coding", {{"TenantID", "acme"}}),
  };
  std::vector<TenantGroup> groups = groupByTenant(ps);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].tenant, "acme");
  EXPECT_EQ(groups[0].profile_ids, (std::vector<std::string>{"acme00000001", "acme00000002"}));
  EXPECT_EQ(groups[1].tenant, "acme");
  EXPECT_EQ(groups[1].profile_ids, (std::vector<std::string>{"other0000001"}));
  EXPECT_EQ(groups[1].profile_names, (std::vector<std::string>{"acme"}));
}

}  // namespace
}  // namespace costgate::identity
