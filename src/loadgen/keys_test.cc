#include "loadgen/keys.h"

#include <gtest/gtest.h>

namespace costgate::loadgen {
namespace {

TEST(KeyBookTest, TenantKeysForTheirProfilesAdminForTheRest) {
  auto book = KeyBook::fromSetupJson(R"({"changes": [], "keys": [
    {"role": "admin", "key": "cg_admin", "aws_access_key_id": "AKADMIN",
     "aws_secret_access_key": "s0"},
    {"role": "tenant", "tenant": "customer1", "profiles": ["c1_web", "c1_code"],
     "key": "cg_c1", "aws_access_key_id": "AKC1", "aws_secret_access_key": "s1"},
    {"role": "tenant", "tenant": "customer2", "profiles": ["c2_web"], "key": "cg_c2"}]})");
  ASSERT_TRUE(book) << book.error();
  EXPECT_EQ(book->profiles(), (std::vector<std::string>{"c1_web", "c1_code", "c2_web"}));
  EXPECT_EQ(book->forProfile("c1_code")->api_key, "cg_c1");
  ASSERT_TRUE(book->forProfile("c1_code")->aws);
  EXPECT_EQ(book->forProfile("c1_code")->aws->access_key_id, "AKC1");
  EXPECT_EQ(book->forProfile("c2_web")->api_key, "cg_c2");
  EXPECT_FALSE(book->forProfile("c2_web")->aws);
  EXPECT_EQ(book->forProfile("elsewhere")->api_key, "cg_admin");
  EXPECT_EQ(book->admin()->aws->secret_access_key, "s0");
}

TEST(KeyBookTest, RefusesWhatIsNotSetupOutput) {
  EXPECT_EQ(KeyBook::fromSetupJson("{").error().substr(0, 9), "not JSON:");
  EXPECT_EQ(KeyBook::fromSetupJson(R"({"keys": {}})").error(),
            "no \"keys\" list (expected the output of `costgate setup --json`)");
  EXPECT_EQ(KeyBook::fromSetupJson(R"({"keys": []})").error(), "it holds no usable key");
  EXPECT_EQ(KeyBook::fromSetupJson(R"({"keys": [{"role": "admin"}]})").error(),
            "keys[0] has no \"key\"");
}

TEST(KeyBookTest, ASingleKeyReachesEveryProfileWithoutAws) {
  KeyBook book = KeyBook::single("cg_one");
  EXPECT_TRUE(book.profiles().empty());
  EXPECT_EQ(book.forProfile("anything")->api_key, "cg_one");
  EXPECT_FALSE(book.forProfile("anything")->aws);
}

}  // namespace
}  // namespace costgate::loadgen
