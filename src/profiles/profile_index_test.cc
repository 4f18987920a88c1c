#include "profiles/profile_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "profiles/tags.h"

namespace costgate::profiles {
namespace {

using Outcome = Resolution::Outcome;
using Tags = std::vector<Tag>;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A 12-character id: `prefix` then `n`, zero-padded.
std::string paddedId(const std::string& prefix, int n) {
  std::string digits = std::to_string(n);
  return prefix + std::string(12 - prefix.size() - digits.size(), '0') + digits;
}

ProfileQuery query(std::string id_or_arn, std::string name, std::vector<Tag> tags) {
  ProfileQuery q;
  q.id_or_arn = std::move(id_or_arn);
  q.name = std::move(name);
  q.tags = std::move(tags);
  return q;
}
ProfileQuery idQuery(std::string id_or_arn) { return query(std::move(id_or_arn), "", {}); }
ProfileQuery nameQuery(std::string name) { return query("", std::move(name), {}); }
ProfileQuery tagsQuery(std::vector<Tag> tags) { return query("", "", std::move(tags)); }

Profile makeProfile(std::string id, std::string name, Tags tags,
                    std::string bedrock_arn = std::string()) {
  Profile p;
  p.id = std::move(id);
  p.name = std::move(name);
  p.region = "us-west-2";
  p.model_id = "anthropic.claude-3-haiku-20240307-v1:0";
  p.arn = profileArn(p.region, "123456789012", p.id);
  p.bedrock_arn = std::move(bedrock_arn);
  p.tags = std::move(tags);
  return p;
}

// The seed's four profiles, plus one whose tags are a strict superset of another's.
std::vector<Profile> seedProfiles() {
  auto tags = [](const char* app, const char* tenant, const char* env) {
    return Tags{{"CreatedBy", "costgate-example"},
                {"ApplicationID", app},
                {"TenantID", tenant},
                {"ModelProvider", "Anthropic"},
                {"Environment", env}};
  };
  return {
      makeProfile("c1search0001", "customer1_websearch", tags("websearch", "customer1", "Dev"),
                  "arn:aws:bedrock:us-west-2:999999999999:application-inference-profile/"
                  "awsmirror001"),
      makeProfile("c1coding0002", "customer1_codingbot", tags("codingbot", "customer1", "Dev")),
      makeProfile("c2search0003", "customer2_websearch", tags("websearch", "customer2", "Prod")),
      makeProfile("c2coding0004", "customer2_codingbot", tags("codingbot", "customer2", "Prod")),
  };
}

class ProfileIndexTest : public ::testing::Test {
 protected:
  ProfileIndex index_{seedProfiles()};

  const Profile& named(std::string_view name) {
    const Profile* p = index_.byName(name);
    EXPECT_NE(p, nullptr) << name;
    return *p;
  }
  // A tenant that reaches exactly the profiles named.
  static ReachFn reaching(std::set<std::string> names) {
    return [names = std::move(names)](const Profile& p) { return names.count(p.name) > 0; };
  }
};

TEST_F(ProfileIndexTest, LookupsById) {
  const Profile* p = index_.byId("c2search0003");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "customer2_websearch");
  EXPECT_EQ(index_.byId("nosuchprof00"), nullptr);
  EXPECT_EQ(index_.byId("C2SEARCH0003"), nullptr);  // ids are lowercase and exact
  EXPECT_EQ(index_.byId(""), nullptr);
  EXPECT_EQ(index_.size(), 4u);
}

TEST_F(ProfileIndexTest, ResolveById) {
  Resolution r = index_.resolve(idQuery("c1coding0002"));
  ASSERT_EQ(r.outcome, Outcome::kFound) << r.message;
  EXPECT_EQ(r.profile->name, "customer1_codingbot");
  EXPECT_TRUE(r.candidates.empty());
}

TEST_F(ProfileIndexTest, ResolveByOurArnAndByBedrockArn) {
  Resolution r = index_.resolve(idQuery(named("customer2_codingbot").arn));
  ASSERT_EQ(r.outcome, Outcome::kFound) << r.message;
  EXPECT_EQ(r.profile->id, "c2coding0004");

  r = index_.resolve(
      idQuery("arn:aws:bedrock:us-west-2:999999999999:application-inference-profile/awsmirror001"));
  ASSERT_EQ(r.outcome, Outcome::kFound) << r.message;
  EXPECT_EQ(r.profile->id, "c1search0001");

  // The ARN's shape with another account is someone else's profile.
  r = index_.resolve(idQuery(profileArn("us-west-2", "111111111111", "c1search0001")));
  EXPECT_EQ(r.outcome, Outcome::kNotFound);
  EXPECT_TRUE(contains(r.message, "no profile has the id or ARN")) << r.message;
  EXPECT_EQ(r.profile, nullptr);
}

TEST_F(ProfileIndexTest, ResolveByName) {
  Resolution r = index_.resolve(nameQuery("customer2_websearch"));
  ASSERT_EQ(r.outcome, Outcome::kFound) << r.message;
  EXPECT_EQ(r.profile->id, "c2search0003");

  r = index_.resolve(nameQuery("Customer2_websearch"));  // names are exact
  EXPECT_EQ(r.outcome, Outcome::kNotFound);
  EXPECT_EQ(r.message, "no profile is named \"Customer2_websearch\"");
}

TEST_F(ProfileIndexTest, UnknownIdIsNotFoundAndSaysWhatWasAsked) {
  Resolution r = index_.resolve(idQuery("zzzzzzzzzzzz"));
  EXPECT_EQ(r.outcome, Outcome::kNotFound);
  EXPECT_EQ(r.message, "no profile has the id or ARN \"zzzzzzzzzzzz\"");
}

TEST_F(ProfileIndexTest, TagsMatchingOneProfileFindIt) {
  Resolution r = index_.resolveByTags({{"TenantID", "customer2"}, {"ApplicationID", "codingbot"}});
  ASSERT_EQ(r.outcome, Outcome::kFound) << r.message;
  EXPECT_EQ(r.profile->name, "customer2_codingbot");

  // All of a profile's tags, in another order.
  Tags all = named("customer1_websearch").tags;
  std::reverse(all.begin(), all.end());
  r = index_.resolveByTags(all);
  ASSERT_EQ(r.outcome, Outcome::kFound) << r.message;
  EXPECT_EQ(r.profile->name, "customer1_websearch");

  // Through resolve().
  r = index_.resolve(tagsQuery({{"TenantID", "customer1"}, {"ApplicationID", "websearch"}}));
  ASSERT_EQ(r.outcome, Outcome::kFound) << r.message;
  EXPECT_EQ(r.profile->name, "customer1_websearch");
}

TEST_F(ProfileIndexTest, TagKeysMatchCaseInsensitivelyValuesExactly) {
  Resolution r = index_.resolveByTags({{"tenantid", "customer2"}, {"APPLICATIONID", "codingbot"}});
  ASSERT_EQ(r.outcome, Outcome::kFound) << r.message;
  EXPECT_EQ(r.profile->name, "customer2_codingbot");

  r = index_.resolveByTags({{"TenantID", "Customer2"}, {"ApplicationID", "codingbot"}});
  EXPECT_EQ(r.outcome, Outcome::kNotFound) << r.message;
  EXPECT_EQ(r.profile, nullptr);
}

TEST_F(ProfileIndexTest, TagsMatchingNoneAreNotFoundNamingTheTags) {
  Resolution r = index_.resolveByTags({{"TenantID", "customer3"}});
  EXPECT_EQ(r.outcome, Outcome::kNotFound);
  EXPECT_EQ(r.message, "no profile has the tags {\"TenantID\":\"customer3\"}");
  EXPECT_EQ(r.profile, nullptr);
  EXPECT_TRUE(r.candidates.empty());

  // Each tag exists, but no profile holds both.
  r = index_.resolveByTags({{"TenantID", "customer1"}, {"Environment", "Prod"}});
  EXPECT_EQ(r.outcome, Outcome::kNotFound);
  EXPECT_EQ(r.message,
            "no profile has the tags {\"TenantID\":\"customer1\",\"Environment\":\"Prod\"}");

  // A key no profile has.
  r = index_.resolveByTags({{"TenantID", "customer1"}, {"Region", "eu"}});
  EXPECT_EQ(r.outcome, Outcome::kNotFound);
}

TEST_F(ProfileIndexTest, TagsMatchingSeveralAreAmbiguousNamingCandidates) {
  Resolution r = index_.resolveByTags({{"TenantID", "customer1"}});
  ASSERT_EQ(r.outcome, Outcome::kAmbiguous) << r.message;
  EXPECT_EQ(r.profile, nullptr);
  ASSERT_EQ(r.candidates.size(), 2u);
  std::set<std::string> names{r.candidates[0]->name, r.candidates[1]->name};
  EXPECT_EQ(names, (std::set<std::string>{"customer1_websearch", "customer1_codingbot"}));
  EXPECT_TRUE(contains(r.message, "{\"TenantID\":\"customer1\"}")) << r.message;
  EXPECT_TRUE(contains(r.message, "customer1_websearch")) << r.message;
  EXPECT_TRUE(contains(r.message, "customer1_codingbot")) << r.message;
  EXPECT_TRUE(contains(r.message, "more than one profile")) << r.message;
  EXPECT_FALSE(contains(r.message, "...")) << r.message;  // the list is complete

  // Through resolve(), too.
  r = index_.resolve(tagsQuery({{"CreatedBy", "costgate-example"}}));
  EXPECT_EQ(r.outcome, Outcome::kAmbiguous) << r.message;
  EXPECT_EQ(r.candidates.size(), 4u);
}

TEST(ProfileIndexManyTest, AmbiguousStopsAfterAFewCandidates) {
  std::vector<Profile> ps;
  for (int i = 0; i < 50; ++i) {
    ps.push_back(
        makeProfile(paddedId("prof", i), "p" + std::to_string(i), {{"Environment", "Prod"}}));
  }
  ProfileIndex index(std::move(ps));
  Resolution r = index.resolveByTags({{"environment", "Prod"}});
  ASSERT_EQ(r.outcome, Outcome::kAmbiguous);
  EXPECT_GE(r.candidates.size(), 2u);
  EXPECT_LE(r.candidates.size(), 5u);
  for (const Profile* p : r.candidates) EXPECT_TRUE(contains(r.message, p->name)) << r.message;
  EXPECT_TRUE(contains(r.message, "...")) << r.message;  // says the list is cut short
}

TEST(ProfileIndexManyTest, CandidateListSaysWhetherItIsComplete) {
  for (int n : {2, 5, 6, 7}) {
    std::vector<Profile> ps;
    for (int i = 0; i < n; ++i) {
      ps.push_back(
          makeProfile(paddedId("prof", i), "p" + std::to_string(i), {{"Environment", "Prod"}}));
    }
    ProfileIndex index(std::move(ps));
    Resolution r = index.resolveByTags({{"Environment", "Prod"}});
    ASSERT_EQ(r.outcome, Outcome::kAmbiguous) << n;
    EXPECT_EQ(r.candidates.size(), static_cast<size_t>(std::min(n, 5))) << n;
    EXPECT_EQ(contains(r.message, "..."), n > 5) << n << ": " << r.message;
  }
}

TEST_F(ProfileIndexTest, TagResolutionConsidersOnlyReachableProfiles) {
  const Tags tenant1 = {{"TenantID", "customer1"}};
  // Ambiguous for an admin (every profile reachable)...
  EXPECT_EQ(index_.resolveByTags(tenant1).outcome, Outcome::kAmbiguous);
  EXPECT_EQ(index_.resolveByTags(tenant1, [](const Profile&) { return true; }).outcome,
            Outcome::kAmbiguous);
  // ...but unique for a key that reaches one of the two.
  Resolution r = index_.resolveByTags(tenant1, reaching({"customer1_codingbot"}));
  ASSERT_EQ(r.outcome, Outcome::kFound) << r.message;
  EXPECT_EQ(r.profile->name, "customer1_codingbot");
  r = index_.resolve(tagsQuery(tenant1), reaching({"customer1_websearch", "customer2_websearch"}));
  ASSERT_EQ(r.outcome, Outcome::kFound) << r.message;
  EXPECT_EQ(r.profile->name, "customer1_websearch");

  // A tenant that reaches none of the matches is told "not found", not "forbidden": tag
  // resolution does not reveal other tenants' profiles.
  r = index_.resolveByTags(tenant1, reaching({"customer2_websearch"}));
  EXPECT_EQ(r.outcome, Outcome::kNotFound);
  EXPECT_EQ(r.profile, nullptr);
  EXPECT_FALSE(contains(r.message, "customer1_")) << r.message;
}

TEST_F(ProfileIndexTest, IdOrNameOfAnUnreachableProfileIsForbidden) {
  const ReachFn tenant2 = reaching({"customer2_websearch", "customer2_codingbot"});
  Resolution r = index_.resolve(idQuery("c1search0001"), tenant2);
  EXPECT_EQ(r.outcome, Outcome::kForbidden);
  EXPECT_EQ(r.message, "this key may not use the profile with id \"c1search0001\"");

  r = index_.resolve(idQuery(named("customer1_codingbot").arn), tenant2);
  EXPECT_EQ(r.outcome, Outcome::kForbidden);

  r = index_.resolve(nameQuery("customer1_codingbot"), tenant2);
  EXPECT_EQ(r.outcome, Outcome::kForbidden);
  EXPECT_EQ(r.message, "this key may not use the profile with name \"customer1_codingbot\"");

  // The same key reaches its own.
  r = index_.resolve(nameQuery("customer2_codingbot"), tenant2);
  ASSERT_EQ(r.outcome, Outcome::kFound) << r.message;
  EXPECT_EQ(r.profile->id, "c2coding0004");
}

TEST_F(ProfileIndexTest, SelectorsThatDisagreeConflict) {
  Resolution r = index_.resolve(query("c1search0001", "customer2_websearch", {}));
  EXPECT_EQ(r.outcome, Outcome::kConflict);
  EXPECT_EQ(r.message,
            "id \"c1search0001\" names profile \"customer1_websearch\" but name "
            "\"customer2_websearch\" names profile \"customer2_websearch\"");

  r = index_.resolve(query("", "customer1_websearch",
                           {{"TenantID", "customer2"}, {"ApplicationID", "websearch"}}));
  EXPECT_EQ(r.outcome, Outcome::kConflict);
  EXPECT_TRUE(contains(r.message, "customer1_websearch")) << r.message;
  EXPECT_TRUE(contains(r.message, "customer2_websearch")) << r.message;

  r = index_.resolve(query(named("customer2_codingbot").arn, "",
                           {{"TenantID", "customer1"}, {"ApplicationID", "codingbot"}}));
  EXPECT_EQ(r.outcome, Outcome::kConflict);
}

TEST_F(ProfileIndexTest, SelectorsThatAgreeFindTheProfile) {
  Resolution r = index_.resolve(query("c2search0003", "customer2_websearch",
                                      {{"TenantID", "customer2"}, {"ApplicationID", "websearch"}}));
  ASSERT_EQ(r.outcome, Outcome::kFound) << r.message;
  EXPECT_EQ(r.profile->id, "c2search0003");

  r = index_.resolve(query(named("customer2_websearch").arn, "customer2_websearch", {}));
  ASSERT_EQ(r.outcome, Outcome::kFound) << r.message;
  EXPECT_EQ(r.profile->id, "c2search0003");
}

TEST_F(ProfileIndexTest, EmptyQueryIsNotFoundWithAHelpfulMessage) {
  ProfileQuery q;
  EXPECT_TRUE(q.empty());
  Resolution r = index_.resolve(q);
  EXPECT_EQ(r.outcome, Outcome::kNotFound);
  EXPECT_EQ(r.profile, nullptr);
  EXPECT_TRUE(contains(r.message, "inference-profile-id")) << r.message;
  EXPECT_TRUE(contains(r.message, "inference-profile-name")) << r.message;
  EXPECT_TRUE(contains(r.message, "tags")) << r.message;
}

TEST(ProfileIndexEmptyTest, EmptyIndexFindsNothing) {
  ProfileIndex index;
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.resolve(idQuery("abcdef123456")).outcome, Outcome::kNotFound);
  EXPECT_EQ(index.resolve(nameQuery("x")).outcome, Outcome::kNotFound);
  EXPECT_EQ(index.resolveByTags({{"K", "V"}}).outcome, Outcome::kNotFound);
}

// Randomized: the index agrees with a scan of every profile.
TEST(ProfileIndexRandomTest, TagResolutionAgreesWithBruteForce) {
  std::mt19937 rng(20240607);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  // Few keys and few values, so that queries hit, miss and collide often. Keys are spelled in
  // random case in profiles and in queries.
  const std::vector<std::string> keys = {"TenantID", "ApplicationID", "Environment",
                                         "Team",     "ModelName",     "CostCenter"};
  const std::vector<int> values_per_key = {60, 8, 3, 12, 5, 20};
  auto spell = [&](const std::string& key) {
    std::string s = key;
    for (char& c : s) {
      if (pick(4) == 0) c = static_cast<char>(std::isupper(c) ? std::tolower(c) : std::toupper(c));
    }
    return s;
  };
  auto value = [&](size_t k) {
    std::string v = "v" + std::to_string(pick(values_per_key[k]));
    if (pick(10) == 0) v[0] = 'V';  // values differing only in case are different values
    return v;
  };

  std::vector<Profile> ps;
  for (int i = 0; i < 2000; ++i) {
    Tags tags;
    for (size_t k = 0; k < keys.size(); ++k) {
      if (pick(5) != 0) tags.push_back({spell(keys[k]), value(k)});
    }
    ps.push_back(makeProfile(paddedId("r", i), "random_" + std::to_string(i), std::move(tags)));
  }
  const std::vector<Profile> all = ps;
  ProfileIndex index(std::move(ps));
  // A reach function for half the queries: every third profile.
  const ReachFn some = [](const Profile& p) { return std::stoi(p.id.substr(1)) % 3 == 0; };

  int found = 0, not_found = 0, ambiguous = 0;
  for (int q = 0; q < 2000; ++q) {
    Tags query;
    const int n = 1 + pick(4);
    std::vector<size_t> order(keys.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::shuffle(order.begin(), order.end(), rng);
    for (int j = 0; j < n; ++j) query.push_back({spell(keys[order[j]]), value(order[j])});
    // Some queries copy part of an existing profile's tags, so that many of them hit.
    if (pick(2) == 0) {
      const Profile& p = all[pick(static_cast<int>(all.size()))];
      query.clear();
      for (const Tag& t : p.tags) {
        if (pick(2) == 0) query.push_back({spell(t.key), t.value});
      }
      if (query.empty()) continue;
    }
    const bool restricted = pick(2) == 0;
    const ReachFn& reach = restricted ? some : ReachFn();

    std::vector<const Profile*> matches;
    for (const Profile& p : index.all()) {
      if (isTagSubset(query, p.tags) && (!reach || reach(p))) matches.push_back(&p);
    }
    Resolution r = index.resolveByTags(query, reach);
    SCOPED_TRACE(describeTags(query) + (restricted ? " (restricted)" : ""));
    if (matches.empty()) {
      ++not_found;
      EXPECT_EQ(r.outcome, Outcome::kNotFound) << r.message;
      EXPECT_EQ(r.profile, nullptr);
    } else if (matches.size() == 1) {
      ++found;
      ASSERT_EQ(r.outcome, Outcome::kFound) << r.message;
      EXPECT_EQ(r.profile, matches.front());
    } else {
      ++ambiguous;
      ASSERT_EQ(r.outcome, Outcome::kAmbiguous) << r.message;
      EXPECT_GE(matches.size(), 2u);
      EXPECT_GE(r.candidates.size(), 2u);
      EXPECT_LE(r.candidates.size(), matches.size());
      for (const Profile* c : r.candidates) {
        EXPECT_NE(std::find(matches.begin(), matches.end(), c), matches.end()) << c->name;
      }
    }
  }
  // The generator must exercise every outcome, or the comparison proves little.
  EXPECT_GT(found, 100);
  EXPECT_GT(not_found, 100);
  EXPECT_GT(ambiguous, 100);
}

}  // namespace
}  // namespace costgate::profiles
