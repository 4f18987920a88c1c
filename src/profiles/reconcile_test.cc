#include "profiles/reconcile.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace costgate::profiles {
namespace {

using Kind = ProfileChange::Kind;
using Tags = std::vector<Tag>;
using namespace std::chrono_literals;

constexpr char kAccount[] = "123456789012";
const TimePoint kEarlier{std::chrono::sys_days{std::chrono::year{2024} / 1 / 2}};
const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2025} / 3 / 4} + 5h};

// A 12-character id: `prefix` then `n`, zero-padded.
std::string paddedId(const std::string& prefix, int n) {
  std::string digits = std::to_string(n);
  return prefix + std::string(12 - prefix.size() - digits.size(), '0') + digits;
}

ProfileSpec spec(std::string name, std::string model = "anthropic.claude-3-haiku-20240307-v1:0",
                 Tags tags = {}) {
  ProfileSpec s;
  s.name = std::move(name);
  s.description = "profile " + s.name;
  s.model_id = std::move(model);
  s.region = "us-west-2";
  s.tags = tags.empty() ? Tags{{"TenantID", s.name}, {"Environment", "Prod"}} : std::move(tags);
  return s;
}

Profile stored(const ProfileSpec& s, std::string id, Origin origin = Origin::kSetup,
               std::string account = kAccount) {
  Profile p;
  static_cast<ProfileSpec&>(p) = s;
  p.id = std::move(id);
  p.arn = profileArn(s.region, account, p.id);
  p.created_at = kEarlier;
  p.origin = origin;
  return p;
}

ReconcileInput input(std::vector<ProfileSpec> desired, std::vector<Profile> current,
                     std::vector<std::pair<std::string, std::string>> recorded = {}) {
  return ReconcileInput{std::move(desired), std::move(current), std::move(recorded), kAccount,
                        kNow};
}

// What the store holds after the plan is applied, and the profile_ids setup writes back.
struct Applied {
  std::vector<Profile> current;
  std::vector<std::pair<std::string, std::string>> recorded;
};
Applied applyPlan(const ProfilePlan& plan, const std::vector<Profile>& before) {
  Applied a;
  std::set<std::string> planned;
  for (const ProfileChange& c : plan.changes) {
    planned.insert(c.profile.id);
    if (c.kind == Kind::kDelete) continue;
    a.current.push_back(c.profile);
    a.recorded.emplace_back(c.profile.name, c.profile.id);
  }
  // Profiles the plan does not mention (CLI-made ones) stay as they were.
  for (const Profile& p : before) {
    if (!planned.count(p.id)) a.current.push_back(p);
  }
  return a;
}

const ProfileChange* changeFor(const ProfilePlan& plan, std::string_view name) {
  for (const ProfileChange& c : plan.changes) {
    if (c.profile.name == name) return &c;
  }
  return nullptr;
}

TEST(ReconcileTest, CreatesMissingProfiles) {
  ProfilePlan plan = planProfiles(input({spec("alpha"), spec("beta")}, {}));
  EXPECT_TRUE(plan.conflicts.empty());
  EXPECT_FALSE(plan.noop());
  ASSERT_EQ(plan.changes.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const ProfileChange& c = plan.changes[i];
    const std::string name = i == 0 ? "alpha" : "beta";  // config order
    EXPECT_EQ(c.kind, Kind::kCreate);
    EXPECT_TRUE(c.changes.empty());
    EXPECT_EQ(static_cast<const ProfileSpec&>(c.profile), spec(name));
    EXPECT_TRUE(isValidProfileId(c.profile.id)) << c.profile.id;
    EXPECT_EQ(c.profile.arn, profileArn("us-west-2", kAccount, c.profile.id));
    EXPECT_EQ(c.profile.created_at, kNow);
    EXPECT_EQ(c.profile.origin, Origin::kSetup);
    EXPECT_EQ(c.profile.bedrock_arn, "");
  }
  EXPECT_NE(plan.changes[0].profile.id, plan.changes[1].profile.id);
}

TEST(ReconcileTest, UnchangedProfileStaysUnchanged) {
  const Profile have = stored(spec("alpha"), "alpha0000001");
  ProfilePlan plan = planProfiles(input({spec("alpha")}, {have}, {{"alpha", have.id}}));
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].kind, Kind::kUnchanged);
  EXPECT_TRUE(plan.changes[0].changes.empty());
  EXPECT_EQ(plan.changes[0].profile, have);  // created_at and all kept
  EXPECT_TRUE(plan.noop());

  // Found by name when the config has recorded nothing (a lost profile_ids).
  plan = planProfiles(input({spec("alpha")}, {have}));
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].kind, Kind::kUnchanged);
  EXPECT_TRUE(plan.noop());
}

TEST(ReconcileTest, UpdatesChangedProfileListingWhatChanged) {
  Profile have = stored(spec("alpha"), "alpha0000001");
  have.bedrock_arn = "arn:aws:bedrock:us-west-2:999999999999:application-inference-profile/x";
  ProfileSpec want = spec("alpha", "us.amazon.nova-micro-v1:0");
  want.tier = "premium";
  ProfilePlan plan = planProfiles(input({want}, {have}, {{"alpha", have.id}}));
  ASSERT_EQ(plan.changes.size(), 1u);
  const ProfileChange& c = plan.changes[0];
  EXPECT_EQ(c.kind, Kind::kUpdate);
  EXPECT_EQ(c.changes,
            (std::vector<std::string>{"model_id: \"anthropic.claude-3-haiku-20240307-v1:0\" -> "
                                      "\"us.amazon.nova-micro-v1:0\"",
                                      "tier: \"\" -> \"premium\""}));
  EXPECT_EQ(static_cast<const ProfileSpec&>(c.profile), want);
  EXPECT_EQ(c.profile.id, have.id);
  EXPECT_EQ(c.profile.arn, have.arn);
  EXPECT_EQ(c.profile.created_at, kEarlier);  // not a new profile
  EXPECT_EQ(c.profile.bedrock_arn, have.bedrock_arn);
  EXPECT_FALSE(plan.noop());
}

TEST(ReconcileTest, UpdateListsTagAndDescriptionChanges) {
  const Profile have = stored(spec("alpha"), "alpha0000001");
  ProfileSpec want = spec("alpha", have.model_id, {{"TenantID", "acme"}, {"Environment", "Prod"}});
  want.description = "new words";
  ProfilePlan plan = planProfiles(input({want}, {have}, {{"alpha", have.id}}));
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].kind, Kind::kUpdate);
  EXPECT_EQ(plan.changes[0].changes,
            (std::vector<std::string>{"description: \"profile alpha\" -> \"new words\"",
                                      "tags: {\"TenantID\":\"alpha\",\"Environment\":\"Prod\"} -> "
                                      "{\"TenantID\":\"acme\",\"Environment\":\"Prod\"}"}));
}

TEST(ReconcileTest, DeletesSetupMadeProfilesThatAreGone) {
  const Profile keep = stored(spec("keep"), "keep00000001");
  const Profile gone = stored(spec("gone"), "gone00000001");
  ProfilePlan plan =
      planProfiles(input({spec("keep")}, {gone, keep}, {{"keep", keep.id}, {"gone", gone.id}}));
  ASSERT_EQ(plan.changes.size(), 2u);
  EXPECT_EQ(plan.changes[0].kind, Kind::kUnchanged);  // config order first, then deletions
  EXPECT_EQ(plan.changes[0].profile.id, keep.id);
  EXPECT_EQ(plan.changes[1].kind, Kind::kDelete);
  EXPECT_EQ(plan.changes[1].profile, gone);
  EXPECT_FALSE(plan.noop());

  // An empty config deletes every setup-made profile.
  plan = planProfiles(input({}, {gone, keep}));
  ASSERT_EQ(plan.changes.size(), 2u);
  EXPECT_EQ(plan.changes[0].kind, Kind::kDelete);
  EXPECT_EQ(plan.changes[1].kind, Kind::kDelete);
}

TEST(ReconcileTest, NeverTouchesCliMadeProfiles) {
  const Profile manual = stored(spec("manual"), "manual000001", Origin::kCli, "000000000000");
  ProfilePlan plan = planProfiles(input({spec("alpha")}, {manual}));
  EXPECT_TRUE(plan.conflicts.empty());
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].kind, Kind::kCreate);
  EXPECT_EQ(plan.changes[0].profile.name, "alpha");
  EXPECT_NE(plan.changes[0].profile.id, manual.id);
  EXPECT_EQ(changeFor(plan, "manual"), nullptr);  // neither deleted nor updated (its ARN neither)

  plan = planProfiles(input({}, {manual}));
  EXPECT_TRUE(plan.changes.empty());
  EXPECT_TRUE(plan.noop());
}

TEST(ReconcileTest, DesiredNameHeldByCliProfileIsAConflict) {
  const Profile manual = stored(spec("alpha"), "manual000001", Origin::kCli);
  ProfilePlan plan = planProfiles(input({spec("alpha"), spec("beta")}, {manual}));
  ASSERT_EQ(plan.conflicts.size(), 1u);
  EXPECT_NE(plan.conflicts[0].find("\"alpha\""), std::string::npos) << plan.conflicts[0];
  EXPECT_NE(plan.conflicts[0].find("costgate profiles create"), std::string::npos)
      << plan.conflicts[0];
  EXPECT_FALSE(plan.noop());
  for (const ProfileChange& c : plan.changes) {
    EXPECT_NE(c.profile.id, manual.id) << "the CLI profile must not be touched";
  }
}

TEST(ReconcileTest, DesiredNameHeldByCliProfileConflictsEvenWhenTheRecordedIdMatches) {
  // The config renames setup-made "old" (recorded id) to "alpha", which a CLI profile holds:
  // applying that would give two profiles one name.
  const Profile old = stored(spec("old"), "old000000001");
  const Profile manual = stored(spec("alpha"), "manual000001", Origin::kCli);
  ProfilePlan plan = planProfiles(input({spec("alpha")}, {old, manual}, {{"alpha", old.id}}));
  ASSERT_EQ(plan.conflicts.size(), 1u);
  EXPECT_NE(plan.conflicts[0].find("\"alpha\""), std::string::npos) << plan.conflicts[0];
  EXPECT_FALSE(plan.noop());
}

TEST(ReconcileTest, RecordedIdIsReusedForANewProfile) {
  ProfilePlan plan = planProfiles(input({spec("alpha")}, {}, {{"alpha", "seedid000001"}}));
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].kind, Kind::kCreate);
  EXPECT_EQ(plan.changes[0].profile.id, "seedid000001");
  EXPECT_EQ(plan.changes[0].profile.arn, profileArn("us-west-2", kAccount, "seedid000001"));
}

TEST(ReconcileTest, InvalidRecordedIdIsNotReused) {
  for (const char* bad : {"SEEDID000001", "short", "seedid0000012", "seed-id-0001", ""}) {
    ProfilePlan plan = planProfiles(input({spec("alpha")}, {}, {{"alpha", bad}}));
    ASSERT_EQ(plan.changes.size(), 1u);
    EXPECT_EQ(plan.changes[0].kind, Kind::kCreate);
    EXPECT_TRUE(isValidProfileId(plan.changes[0].profile.id)) << plan.changes[0].profile.id;
    EXPECT_NE(plan.changes[0].profile.id, bad);
  }
}

TEST(ReconcileTest, RecordedIdTakenByAnotherProfileIsNotReused) {
  // "beta" is stored with id X and stays "beta"; a config that also records X for "alpha"
  // must not give "alpha" the same id.
  const Profile beta = stored(spec("beta"), "beta00000001");
  ProfilePlan plan = planProfiles(
      input({spec("beta"), spec("alpha")}, {beta}, {{"beta", beta.id}, {"alpha", beta.id}}));
  EXPECT_TRUE(plan.conflicts.empty());
  ASSERT_EQ(plan.changes.size(), 2u);
  EXPECT_EQ(plan.changes[0].kind, Kind::kUnchanged);
  EXPECT_EQ(plan.changes[0].profile.id, beta.id);
  EXPECT_EQ(plan.changes[1].kind, Kind::kCreate);
  EXPECT_EQ(plan.changes[1].profile.name, "alpha");
  EXPECT_TRUE(isValidProfileId(plan.changes[1].profile.id));
  EXPECT_NE(plan.changes[1].profile.id, beta.id);

  // Two new profiles recording one free id: only the first gets it.
  plan = planProfiles(
      input({spec("one"), spec("two")}, {}, {{"one", "shared000001"}, {"two", "shared000001"}}));
  ASSERT_EQ(plan.changes.size(), 2u);
  EXPECT_EQ(plan.changes[0].profile.id, "shared000001");
  EXPECT_NE(plan.changes[1].profile.id, "shared000001");
}

TEST(ReconcileTest, RecordedIdMatchesARenamedProfile) {
  const Profile have = stored(spec("old_name"), "keepme000001");
  ProfileSpec want = spec("new_name");
  want.tags = have.tags;
  want.description = have.description;
  ProfilePlan plan = planProfiles(input({want}, {have}, {{"new_name", have.id}}));
  ASSERT_EQ(plan.changes.size(), 1u) << "no create, no delete";
  const ProfileChange& c = plan.changes[0];
  EXPECT_EQ(c.kind, Kind::kUpdate);
  EXPECT_EQ(c.profile.id, have.id);
  EXPECT_EQ(c.profile.name, "new_name");
  EXPECT_EQ(c.profile.created_at, kEarlier);
  EXPECT_EQ(c.changes, (std::vector<std::string>{"name: \"old_name\" -> \"new_name\""}));
}

TEST(ReconcileTest, ArnUsesTheAccountGiven) {
  ReconcileInput in = input({spec("alpha")}, {});
  in.account = "210987654321";
  ProfilePlan plan = planProfiles(in);
  ASSERT_EQ(plan.changes.size(), 1u);
  const Profile& p = plan.changes[0].profile;
  EXPECT_EQ(p.arn, "arn:aws:bedrock:us-west-2:210987654321:application-inference-profile/" + p.id);
}

TEST(ReconcileTest, AccountChangeUpdatesTheArn) {
  const Profile have = stored(spec("alpha"), "alpha0000001");
  ReconcileInput in = input({spec("alpha")}, {have}, {{"alpha", have.id}});
  in.account = "210987654321";
  ProfilePlan plan = planProfiles(in);
  ASSERT_EQ(plan.changes.size(), 1u);
  const ProfileChange& c = plan.changes[0];
  EXPECT_EQ(c.kind, Kind::kUpdate);
  EXPECT_EQ(c.profile.arn, profileArn("us-west-2", "210987654321", have.id));
  ASSERT_EQ(c.changes.size(), 1u);
  EXPECT_EQ(c.changes[0], "arn: " + have.arn + " -> " + c.profile.arn);
}

TEST(ReconcileTest, AccountChangeIsListedBesideOtherChanges) {
  const Profile have = stored(spec("alpha"), "alpha0000001");
  ProfileSpec want = spec("alpha");
  want.description = "new words";
  ReconcileInput in = input({want}, {have}, {{"alpha", have.id}});
  in.account = "210987654321";
  ProfilePlan plan = planProfiles(in);
  ASSERT_EQ(plan.changes.size(), 1u);
  const ProfileChange& c = plan.changes[0];
  EXPECT_EQ(c.kind, Kind::kUpdate);
  EXPECT_EQ(c.profile.arn, profileArn("us-west-2", "210987654321", have.id));
  EXPECT_EQ(c.changes, (std::vector<std::string>{"description: \"profile alpha\" -> \"new words\"",
                                                 "arn: " + have.arn + " -> " + c.profile.arn}));
}

TEST(ReconcileTest, ApplyingThePlanThenPlanningAgainIsANoop) {
  const Profile unchanged = stored(spec("same"), "same00000001");
  const Profile changed = stored(spec("changed"), "chng00000001");
  const Profile renamed = stored(spec("before"), "renm00000001");
  const Profile gone = stored(spec("gone"), "gone00000001");
  const Profile manual = stored(spec("manual"), "manual000001", Origin::kCli);
  ProfileSpec renamed_want = spec("after");
  renamed_want.tags = renamed.tags;
  renamed_want.description = renamed.description;
  const std::vector<ProfileSpec> desired = {spec("new1"), spec("same"),
                                            spec("changed", "us.amazon.nova-micro-v1:0"),
                                            renamed_want, spec("new2")};
  const std::vector<Profile> current = {unchanged, changed, renamed, gone, manual};
  ReconcileInput in = input(desired, current,
                            {{"same", unchanged.id},
                             {"changed", changed.id},
                             {"after", renamed.id},
                             {"gone", gone.id},
                             {"new2", "seedid000002"}});
  ProfilePlan first = planProfiles(in);
  ASSERT_TRUE(first.conflicts.empty());
  EXPECT_EQ(changeFor(first, "new1")->kind, Kind::kCreate);
  EXPECT_EQ(changeFor(first, "new2")->kind, Kind::kCreate);
  EXPECT_EQ(changeFor(first, "new2")->profile.id, "seedid000002");
  EXPECT_EQ(changeFor(first, "same")->kind, Kind::kUnchanged);
  EXPECT_EQ(changeFor(first, "changed")->kind, Kind::kUpdate);
  EXPECT_EQ(changeFor(first, "after")->kind, Kind::kUpdate);
  EXPECT_EQ(changeFor(first, "after")->profile.id, renamed.id);
  EXPECT_EQ(changeFor(first, "gone")->kind, Kind::kDelete);
  EXPECT_EQ(changeFor(first, "manual"), nullptr);
  EXPECT_EQ(first.changes.size(), 6u);

  Applied after = applyPlan(first, current);
  ProfilePlan second = planProfiles(input(desired, after.current, after.recorded));
  EXPECT_TRUE(second.noop());
  EXPECT_EQ(second.changes.size(), desired.size());
  for (const ProfileChange& c : second.changes) {
    EXPECT_EQ(c.kind, Kind::kUnchanged) << c.profile.name;
    const ProfileChange* was = changeFor(first, c.profile.name);
    ASSERT_NE(was, nullptr);
    EXPECT_EQ(c.profile, was->profile) << "ids, ARNs and creation times are stable";
  }

  // Without the recorded ids (profile_ids lost from the config), names still match.
  ProfilePlan third = planProfiles(input(desired, after.current));
  EXPECT_TRUE(third.noop());
}

TEST(ReconcileTest, RandomizedPlansConvergeInOneStep) {
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> models = {"m1", "m2", "m3"};
  for (int round = 0; round < 200; ++round) {
    std::vector<Profile> current;
    std::vector<std::pair<std::string, std::string>> recorded;
    std::set<std::string> names;
    const int n_current = pick(8);
    for (int i = 0; i < n_current; ++i) {
      std::string name = "p" + std::to_string(pick(12));
      if (!names.insert(name).second) continue;
      const std::string id = paddedId("cur", i);
      Origin origin = pick(5) == 0 ? Origin::kCli : Origin::kSetup;
      current.push_back(stored(spec(name, models[pick(3)]), id, origin));
      if (origin == Origin::kSetup && pick(2)) recorded.emplace_back(name, id);
    }
    std::vector<ProfileSpec> desired;
    std::set<std::string> desired_names;
    const int n_desired = pick(8);
    for (int i = 0; i < n_desired; ++i) {
      std::string name = "p" + std::to_string(pick(12));
      if (!desired_names.insert(name).second) continue;
      desired.push_back(spec(name, models[pick(3)]));
    }
    ProfilePlan plan = planProfiles(input(desired, current, recorded));
    if (!plan.conflicts.empty()) continue;
    Applied after = applyPlan(plan, current);
    std::set<std::string> ids, after_names;
    for (const Profile& p : after.current) {
      EXPECT_TRUE(ids.insert(p.id).second) << "duplicate id " << p.id;
      EXPECT_TRUE(after_names.insert(p.name).second) << "duplicate name " << p.name;
    }
    ProfilePlan again = planProfiles(input(desired, after.current, after.recorded));
    EXPECT_TRUE(again.noop()) << "round " << round;
  }
}

}  // namespace
}  // namespace costgate::profiles
