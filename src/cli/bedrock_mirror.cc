#include "cli/bedrock_mirror.h"

#include <fmt/format.h>

#include <algorithm>

#include "cli/output.h"
#include "common/strings.h"
#include "providers/aws_credentials.h"

namespace costgate::cli {

using providers::AwsResult;

TagDiff diffTags(const std::vector<profiles::Tag>& before,
                 const std::vector<profiles::Tag>& after) {
  TagDiff d;
  for (const auto& t : after) {
    if (std::find(before.begin(), before.end(), t) == before.end()) d.set.push_back(t);
  }
  for (const auto& t : before) {
    bool kept = std::any_of(after.begin(), after.end(),
                            [&](const profiles::Tag& a) { return a.key == t.key; });
    if (!kept) d.removed.push_back(t.key);
  }
  return d;
}

Result<std::unique_ptr<ProfileMirror>> ProfileMirror::open(const config::Config& cfg) {
  auto creds = providers::loadAwsCredentials(providers::processEnv());
  if (!creds) {
    return makeError(
        fmt::format("mirroring profiles to Bedrock needs AWS credentials: {}", creds.error()));
  }
  return std::unique_ptr<ProfileMirror>(new ProfileMirror(cfg, creds->keys));
}

ProfileMirror::ProfileMirror(const config::Config& cfg, identity::SigV4Credentials credentials)
    : account_(cfg.aws_account_id),
      settings_(cfg.serve.bedrock.value_or(config::BedrockUpstreamSettings{})),
      credentials_(std::move(credentials)) {}

Result<providers::BedrockControl*> ProfileMirror::controlFor(const std::string& region) {
  auto it = controls_.find(region);
  if (it != controls_.end()) return it->second.get();
  providers::BedrockControlOptions o;
  o.endpoint = settings_.control_endpoint;
  o.region = region;
  o.credentials = credentials_;
  o.timeouts.connect = std::chrono::milliseconds(settings_.timeouts.connect_ms);
  o.timeouts.first_byte = std::chrono::milliseconds(settings_.timeouts.first_byte_ms);
  o.timeouts.idle = std::chrono::milliseconds(settings_.timeouts.idle_ms);
  o.timeouts.total = std::chrono::milliseconds(settings_.timeouts.total_ms);
  o.ca_file = settings_.ca_file;
  auto made = providers::BedrockControl::make(std::move(o));
  if (!made) return makeError(made.error());
  providers::BedrockControl* c = made->get();
  controls_.emplace(region, std::move(*made));
  return c;
}

std::string ProfileMirror::copyFrom(const profiles::Profile& p) const {
  return providers::modelSourceArn(p.model_id, p.region, account_);
}

Result<std::string> ProfileMirror::create(const profiles::Profile& p) {
  auto control = controlFor(p.region);
  if (!control) return makeError(control.error());
  providers::CreateInferenceProfileInput in;
  in.name = p.name;
  in.description = p.description;
  in.copy_from = copyFrom(p);
  in.tags = p.tags;
  in.client_request_token = providers::clientRequestToken(p.id, in);
  AwsResult<std::string> created = (*control)->createInferenceProfile(in);
  if (created.ok()) return *created.value;
  if (created.error.type != "ConflictException") {
    return makeError(fmt::format("CreateInferenceProfile: {}", created.error.text()));
  }
  // A profile of this name exists: adopt it when it runs the same model.
  auto listed = (*control)->listApplicationInferenceProfiles();
  if (!listed.ok()) {
    return makeError(fmt::format("CreateInferenceProfile: {}; then ListInferenceProfiles: {}",
                                 created.error.text(), listed.error.text()));
  }
  for (const auto& s : *listed.value) {
    if (s.name != p.name) continue;
    if (!providers::profileRunsModel(s, p.model_id)) {
      return makeError(fmt::format(
          "Bedrock already holds an inference profile named {} ({}) that runs {}, not model {}",
          jsonQuote(p.name), s.arn, fmt::join(s.model_arns, ", "), jsonQuote(p.model_id)));
    }
    auto tagged = (*control)->tagResource(s.arn, p.tags);
    if (!tagged.ok()) {
      return makeError(fmt::format("TagResource {}: {}", s.arn, tagged.error.text()));
    }
    return s.arn;
  }
  return makeError(fmt::format("CreateInferenceProfile: {}", created.error.text()));
}

Status ProfileMirror::retag(const profiles::Profile& p, const std::vector<profiles::Tag>& before) {
  TagDiff d = diffTags(before, p.tags);
  if (d.empty()) return {};
  auto control = controlFor(p.region);
  if (!control) return makeError(control.error());
  if (!d.removed.empty()) {
    auto r = (*control)->untagResource(p.bedrock_arn, d.removed);
    if (!r.ok()) return makeError(fmt::format("UntagResource: {}", r.error.text()));
  }
  if (!d.set.empty()) {
    auto r = (*control)->tagResource(p.bedrock_arn, d.set);
    if (!r.ok()) return makeError(fmt::format("TagResource: {}", r.error.text()));
  }
  return {};
}

Status ProfileMirror::remove(const profiles::Profile& p) {
  auto control = controlFor(p.region);
  if (!control) return makeError(control.error());
  auto r = (*control)->deleteInferenceProfile(p.bedrock_arn);
  if (!r.ok() && r.error.type != "ResourceNotFoundException") {
    return makeError(fmt::format("DeleteInferenceProfile: {}", r.error.text()));
  }
  return {};
}

std::vector<MirrorStep> planMirror(const profiles::ProfilePlan& plan,
                                   const std::vector<profiles::Profile>& current, bool mirroring) {
  using Kind = profiles::ProfileChange::Kind;
  std::vector<MirrorStep> steps;
  for (const profiles::ProfileChange& c : plan.changes) {
    const profiles::Profile& p = c.profile;
    if (c.kind == Kind::kDelete) {
      if (!p.bedrock_arn.empty()) steps.push_back({MirrorStep::Kind::kDelete, p, {}});
      continue;
    }
    if (p.bedrock_arn.empty()) {
      if (mirroring) steps.push_back({MirrorStep::Kind::kCreate, p, {}});
      continue;
    }
    if (c.kind != Kind::kUpdate) continue;
    auto old = std::find_if(current.begin(), current.end(),
                            [&](const profiles::Profile& x) { return x.id == p.id; });
    if (old == current.end()) continue;
    if (old->model_id != p.model_id || old->region != p.region) {
      steps.push_back({MirrorStep::Kind::kReplace, p, {}});
    } else if (!diffTags(old->tags, p.tags).empty()) {
      steps.push_back({MirrorStep::Kind::kRetag, p, old->tags});
    }
  }
  return steps;
}

std::string describeMirrorStep(const MirrorStep& step, std::string_view account) {
  const profiles::Profile& p = step.profile;
  switch (step.kind) {
    case MirrorStep::Kind::kCreate:
      return fmt::format("mirror profile {} to Bedrock (copy from {}, tags {})", p.name,
                         providers::modelSourceArn(p.model_id, p.region, account),
                         tagsText(p.tags));
    case MirrorStep::Kind::kRetag: {
      TagDiff d = diffTags(step.before, p.tags);
      std::vector<std::string> parts;
      if (!d.set.empty()) parts.push_back("set " + tagsText(d.set));
      if (!d.removed.empty()) parts.push_back(fmt::format("remove {}", fmt::join(d.removed, ",")));
      return fmt::format("update the tags of profile {} in Bedrock ({}): {}", p.name, p.bedrock_arn,
                         fmt::join(parts, "; "));
    }
    case MirrorStep::Kind::kReplace:
      return fmt::format(
          "replace profile {}'s mirror in Bedrock ({}): its model or region "
          "changed, and a Bedrock profile's model cannot",
          p.name, p.bedrock_arn);
    case MirrorStep::Kind::kDelete:
      return fmt::format("delete profile {}'s mirror in Bedrock ({})", p.name, p.bedrock_arn);
  }
  return "";
}

Result<std::string> applyMirrorStep(ProfileMirror& mirror, store::Store& st,
                                    const MirrorStep& step) {
  profiles::Profile p = step.profile;
  auto failed = [&](const std::string& why) {
    return makeError(fmt::format("profile {}: {}", p.name, why));
  };
  switch (step.kind) {
    case MirrorStep::Kind::kDelete:
      if (Status s = mirror.remove(p); !s) return failed(s.error());
      return fmt::format("deleted profile {}'s mirror in Bedrock ({})", p.name, p.bedrock_arn);
    case MirrorStep::Kind::kRetag:
      if (Status s = mirror.retag(p, step.before); !s) return failed(s.error());
      return fmt::format("updated the tags of profile {} in Bedrock", p.name);
    case MirrorStep::Kind::kReplace:
      if (Status s = mirror.remove(p); !s) return failed(s.error());
      p.bedrock_arn.clear();
      if (Status s = st.updateProfile(p); !s) return failed(s.error());
      [[fallthrough]];
    case MirrorStep::Kind::kCreate: {
      auto arn = mirror.create(p);
      if (!arn) return failed(arn.error());
      p.bedrock_arn = *arn;
      if (Status s = st.updateProfile(p); !s) {
        return failed(fmt::format("mirrored to Bedrock as {}, but recording that failed: {}", *arn,
                                  s.error()));
      }
      return fmt::format("mirrored profile {} to Bedrock: {}", p.name, *arn);
    }
  }
  return std::string();
}

}  // namespace costgate::cli
