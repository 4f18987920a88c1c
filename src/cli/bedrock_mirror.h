#pragma once
// Profiles mirrored to Bedrock as application inference profiles, for setup, unsetup and
// `profiles tag|untag`: create (idempotent, adopting an existing profile of the same name and
// model), tag changes and delete, through providers/bedrock_control with the standard AWS
// credentials. A mirrored profile is one whose bedrock_arn is set.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "profiles/profile.h"
#include "profiles/reconcile.h"
#include "providers/bedrock_control.h"
#include "store/store.h"

namespace costgate::cli {

class ProfileMirror {
 public:
  // Reads the AWS credentials (environment, else the shared credentials file); an error says
  // where it looked. The endpoint and timeouts come from the config's upstreams.bedrock.
  static Result<std::unique_ptr<ProfileMirror>> open(const config::Config& cfg);

  // What modelSource.copyFrom names for `p`'s model.
  std::string copyFrom(const profiles::Profile& p) const;

  // Creates `p` in Bedrock and returns the new profile's ARN. When Bedrock already holds a
  // profile of that name (ConflictException) it is adopted if it runs p's model. An error names
  // AWS's error.
  Result<std::string> create(const profiles::Profile& p);
  // Makes the mirror's tags go from `before` to `p.tags` (TagResource for added or changed
  // values, UntagResource for removed keys); nothing when they are equal.
  Status retag(const profiles::Profile& p, const std::vector<profiles::Tag>& before);
  // Deletes the mirror; one Bedrock no longer has is not an error.
  Status remove(const profiles::Profile& p);

 private:
  explicit ProfileMirror(const config::Config& cfg, identity::SigV4Credentials credentials);
  Result<providers::BedrockControl*> controlFor(const std::string& region);

  std::string account_;
  config::BedrockUpstreamSettings settings_;
  identity::SigV4Credentials credentials_;
  std::map<std::string, std::unique_ptr<providers::BedrockControl>> controls_;  // by region
};

// Tag changes from `before` to `after`: the tags to set and the keys to remove.
struct TagDiff {
  std::vector<profiles::Tag> set;
  std::vector<std::string> removed;
  bool empty() const { return set.empty() && removed.empty(); }
};
TagDiff diffTags(const std::vector<profiles::Tag>& before, const std::vector<profiles::Tag>& after);

// One change setup makes in Bedrock.
struct MirrorStep {
  enum class Kind {
    kCreate,   // a profile without a mirror gets one
    kRetag,    // a mirrored profile's tags changed
    kReplace,  // a mirrored profile's model or region changed: delete the mirror, create anew
    kDelete,   // a mirrored profile leaves: its mirror goes first
  };
  Kind kind = Kind::kCreate;
  profiles::Profile profile;          // as planned; kReplace and kDelete: with the old ARN
  std::vector<profiles::Tag> before;  // kRetag: the tags the mirror has
};

// The Bedrock side of a setup plan. Mirrored profiles that change or leave are always followed;
// with `mirroring`, every profile the config keeps that has no mirror gets one. `current` is the
// store before the plan. Pure.
std::vector<MirrorStep> planMirror(const profiles::ProfilePlan& plan,
                                   const std::vector<profiles::Profile>& current, bool mirroring);

// The plan line for a step: "mirror profile x to Bedrock (copy from arn:…)".
std::string describeMirrorStep(const MirrorStep& step, std::string_view account);

// Carries out one step (not kDelete's local part) and records the profile's new ARN in the
// store at once, so a later failure leaves it mirrored and recorded. Returns what was done, for
// the user; an error names the profile and AWS's error.
Result<std::string> applyMirrorStep(ProfileMirror& mirror, store::Store& st,
                                    const MirrorStep& step);

}  // namespace costgate::cli
