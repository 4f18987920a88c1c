#include "profiles/reconcile.h"

#include <fmt/format.h>

#include <set>

#include "common/strings.h"
#include "profiles/tags.h"

namespace costgate::profiles {

bool ProfilePlan::noop() const {
  for (const auto& c : changes) {
    if (c.kind != ProfileChange::Kind::kUnchanged) return false;
  }
  return conflicts.empty();
}

namespace {

std::vector<std::string> differences(const Profile& now, const ProfileSpec& want) {
  std::vector<std::string> d;
  auto field = [&](const char* name, const std::string& a, const std::string& b) {
    if (a != b) d.push_back(fmt::format("{}: {} -> {}", name, jsonQuote(a), jsonQuote(b)));
  };
  field("name", now.name, want.name);
  field("description", now.description, want.description);
  field("model_id", now.model_id, want.model_id);
  field("region", now.region, want.region);
  field("tier", now.tier, want.tier);
  field("provider", now.provider, want.provider);
  if (now.tags != want.tags) {
    d.push_back(fmt::format("tags: {} -> {}", describeTags(now.tags), describeTags(want.tags)));
  }
  return d;
}

}  // namespace

ProfilePlan planProfiles(const ReconcileInput& in) {
  ProfilePlan plan;
  std::set<std::string> matched;  // ids of stored profiles that a desired one claims
  std::set<std::string> taken_ids;
  for (const Profile& p : in.current) taken_ids.insert(p.id);

  auto find = [&](auto pred) -> const Profile* {
    for (const Profile& p : in.current) {
      if (pred(p)) return &p;
    }
    return nullptr;
  };

  for (const ProfileSpec& want : in.desired) {
    std::string recorded;
    for (const auto& [name, id] : in.recorded_ids) {
      if (name == want.name) recorded = id;
    }
    const Profile* have = nullptr;
    if (!recorded.empty()) {
      have = find([&](const Profile& p) { return p.id == recorded && !matched.count(p.id); });
    }
    if (!have) {
      have = find([&](const Profile& p) { return p.name == want.name && !matched.count(p.id); });
    }
    // A CLI-made profile holding the name blocks it, even when the recorded id matched
    // another profile (a rename into that name would give two profiles one name).
    const Profile* cli_named =
        find([&](const Profile& p) { return p.name == want.name && p.origin != Origin::kSetup; });
    if ((have && have->origin != Origin::kSetup) || cli_named) {
      plan.conflicts.push_back(fmt::format(
          "profile {} already exists and was made with `costgate profiles create`; delete it "
          "or rename the profile in the config",
          jsonQuote(want.name)));
      continue;
    }
    // Tags must still tell every profile apart, including those made with the CLI.
    bool clash = false;
    for (const Profile& other : in.current) {
      if (other.origin == Origin::kSetup || want.tags.empty()) continue;
      if (sameTagSet(want.tags, other.tags)) {
        plan.conflicts.push_back(fmt::format(
            "profile {} has the same tags as profile {} (made with `costgate profiles create`), "
            "so tags could not tell them apart",
            jsonQuote(want.name), jsonQuote(other.name)));
        clash = true;
      }
    }
    if (clash) continue;
    ProfileChange change;
    if (have) {
      matched.insert(have->id);
      change.profile = *have;
      change.changes = differences(*have, want);
      change.kind = change.changes.empty() ? ProfileChange::Kind::kUnchanged
                                           : ProfileChange::Kind::kUpdate;
    } else {
      change.kind = ProfileChange::Kind::kCreate;
      // Keep an id the config already records (a seed deployment's), if it is free.
      std::string id = (isValidProfileId(recorded) && !taken_ids.count(recorded))
                           ? recorded
                           : newProfileId();
      while (taken_ids.count(id)) id = newProfileId();
      taken_ids.insert(id);
      change.profile.id = id;
      change.profile.created_at = in.now;
      change.profile.origin = Origin::kSetup;
    }
    static_cast<ProfileSpec&>(change.profile) = want;
    change.profile.arn = profileArn(want.region, in.account, change.profile.id);
    if (have && have->arn != change.profile.arn) {
      change.kind = ProfileChange::Kind::kUpdate;
      change.changes.push_back(fmt::format("arn: {} -> {}", have->arn, change.profile.arn));
    }
    plan.changes.push_back(std::move(change));
  }
  // Setup-made profiles that the config no longer names.
  for (const Profile& p : in.current) {
    if (p.origin == Origin::kSetup && !matched.count(p.id)) {
      plan.changes.push_back(ProfileChange{ProfileChange::Kind::kDelete, p, {}});
    }
  }
  return plan;
}

}  // namespace costgate::profiles
