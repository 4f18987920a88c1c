// What setup does in Bedrock for a plan: mirrors to create, retag, replace and delete.

#include "cli/bedrock_mirror.h"

#include <gtest/gtest.h>

namespace costgate::cli {
namespace {

using profiles::Profile;
using profiles::ProfileChange;
using profiles::Tag;

constexpr char kArn[] =
    "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abcdefghij12";

Profile profile(std::string id, std::string name, std::string bedrock_arn = "") {
  Profile p;
  p.id = std::move(id);
  p.name = std::move(name);
  p.model_id = "amazon.nova-pro-v1:0";
  p.region = "us-west-2";
  p.tags = {{"TenantID", "acme"}, {"Environment", "Dev"}};
  p.bedrock_arn = std::move(bedrock_arn);
  return p;
}

TEST(BedrockMirrorTest, TagDiffSetsChangedAndAddedAndRemovesDropped) {
  TagDiff d = diffTags({{"A", "1"}, {"B", "2"}, {"C", "3"}}, {{"A", "1"}, {"B", "9"}, {"D", "4"}});
  EXPECT_EQ(d.set, (std::vector<Tag>{{"B", "9"}, {"D", "4"}}));
  EXPECT_EQ(d.removed, (std::vector<std::string>{"C"}));
  EXPECT_TRUE(diffTags({{"A", "1"}}, {{"A", "1"}}).empty());
}

TEST(BedrockMirrorTest, PlanFollowsEveryKindOfChange) {
  Profile fresh = profile("p00000000001", "fresh");
  Profile same = profile("p00000000002", "same", kArn);
  Profile retagged = profile("p00000000003", "retagged", std::string(kArn) + "3");
  Profile remodelled = profile("p00000000004", "remodelled", std::string(kArn) + "4");
  Profile gone = profile("p00000000005", "gone", std::string(kArn) + "5");
  Profile gone_unmirrored = profile("p00000000006", "gone_unmirrored");
  std::vector<Profile> current = {same, retagged, remodelled, gone, gone_unmirrored};

  Profile retagged_now = retagged;
  retagged_now.tags = {{"TenantID", "acme"}, {"Team", "x"}};
  Profile remodelled_now = remodelled;
  remodelled_now.model_id = "amazon.nova-lite-v1:0";
  profiles::ProfilePlan plan;
  plan.changes = {{ProfileChange::Kind::kCreate, fresh, {}},
                  {ProfileChange::Kind::kUnchanged, same, {}},
                  {ProfileChange::Kind::kUpdate, retagged_now, {"tags"}},
                  {ProfileChange::Kind::kUpdate, remodelled_now, {"model_id"}},
                  {ProfileChange::Kind::kDelete, gone, {}},
                  {ProfileChange::Kind::kDelete, gone_unmirrored, {}}};

  std::vector<MirrorStep> steps = planMirror(plan, current, /*mirroring=*/true);
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_EQ(steps[0].kind, MirrorStep::Kind::kCreate);
  EXPECT_EQ(steps[0].profile.name, "fresh");
  EXPECT_EQ(steps[1].kind, MirrorStep::Kind::kRetag);
  EXPECT_EQ(steps[1].before, retagged.tags);
  EXPECT_EQ(steps[2].kind, MirrorStep::Kind::kReplace);
  EXPECT_EQ(steps[3].kind, MirrorStep::Kind::kDelete);
  EXPECT_EQ(steps[3].profile.name, "gone");

  EXPECT_EQ(describeMirrorStep(steps[0], "123456789012"),
            "mirror profile fresh to Bedrock (copy from arn:aws:bedrock:us-west-2::foundation-"
            "model/amazon.nova-pro-v1:0, tags TenantID=acme, Environment=Dev)");
  EXPECT_EQ(describeMirrorStep(steps[1], "123456789012"),
            "update the tags of profile retagged in Bedrock (" + std::string(kArn) +
                "3): set Team=x; remove Environment");
  EXPECT_EQ(describeMirrorStep(steps[3], "123456789012"),
            "delete profile gone's mirror in Bedrock (" + std::string(kArn) + "5)");

  // Without mirroring, profiles without a mirror stay so; mirrored ones are still followed.
  steps = planMirror(plan, current, /*mirroring=*/false);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].kind, MirrorStep::Kind::kRetag);
  EXPECT_EQ(steps[1].kind, MirrorStep::Kind::kReplace);
  EXPECT_EQ(steps[2].kind, MirrorStep::Kind::kDelete);
}

}  // namespace
}  // namespace costgate::cli
