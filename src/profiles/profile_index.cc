#include "profiles/profile_index.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/strings.h"
#include "profiles/tags.h"

namespace costgate::profiles {

std::string ProfileIndex::postingKey(std::string_view lower_key, std::string_view value) {
  std::string k(lower_key);
  k += '\0';
  k += value;
  return k;
}

ProfileIndex::ProfileIndex(std::vector<Profile> profiles) : profiles_(std::move(profiles)) {
  lowered_tags_.resize(profiles_.size());
  for (uint32_t i = 0; i < profiles_.size(); ++i) {
    const Profile& p = profiles_[i];
    by_id_.emplace(p.id, i);
    by_arn_.emplace(p.arn, i);
    if (!p.bedrock_arn.empty()) by_arn_.emplace(p.bedrock_arn, i);
    by_name_.emplace(p.name, i);
    auto& lowered = lowered_tags_[i];
    for (const Tag& t : p.tags) {
      lowered.emplace_back(toLowerAscii(t.key), t.value);
      postings_[postingKey(lowered.back().first, t.value)].push_back(i);
    }
    std::sort(lowered.begin(), lowered.end());
  }
}

const Profile* ProfileIndex::byId(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : &profiles_[it->second];
}

const Profile* ProfileIndex::byArn(std::string_view arn) const {
  auto it = by_arn_.find(std::string(arn));
  return it == by_arn_.end() ? nullptr : &profiles_[it->second];
}

const Profile* ProfileIndex::byIdOrArn(std::string_view id_or_arn) const {
  return id_or_arn.substr(0, 4) == "arn:" ? byArn(id_or_arn) : byId(id_or_arn);
}

const Profile* ProfileIndex::byName(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &profiles_[it->second];
}

bool ProfileIndex::hasTag(uint32_t profile, std::string_view lower_key,
                          std::string_view value) const {
  const auto& tags = lowered_tags_[profile];
  auto it = std::lower_bound(tags.begin(), tags.end(), lower_key,
                             [](const auto& t, std::string_view k) { return t.first < k; });
  return it != tags.end() && it->first == lower_key && it->second == value;
}

Resolution ProfileIndex::resolveByTags(const std::vector<Tag>& tags, const ReachFn& reach) const {
  Resolution r;
  const std::string asked = describeTags(tags);
  // The rarest tag's posting list bounds the work; the other tags are checked per candidate.
  std::vector<std::pair<std::string, std::string_view>> lowered;
  const std::vector<uint32_t>* smallest = nullptr;
  for (const Tag& t : tags) {
    lowered.emplace_back(toLowerAscii(t.key), t.value);
    auto it = postings_.find(postingKey(lowered.back().first, t.value));
    if (it == postings_.end()) {
      smallest = nullptr;
      break;
    }
    if (!smallest || it->second.size() < smallest->size()) smallest = &it->second;
  }
  if (smallest) {
    for (uint32_t i : *smallest) {
      bool all = std::all_of(lowered.begin(), lowered.end(),
                             [&](const auto& t) { return hasTag(i, t.first, t.second); });
      if (!all || (reach && !reach(profiles_[i]))) continue;
      r.candidates.push_back(&profiles_[i]);
      if (r.candidates.size() == kMaxCandidates) break;
    }
  }
  if (r.candidates.empty()) {
    r.outcome = Resolution::Outcome::kNotFound;
    r.message = fmt::format("no profile has the tags {}", asked);
  } else if (r.candidates.size() == 1) {
    r.outcome = Resolution::Outcome::kFound;
    r.profile = r.candidates.front();
    r.candidates.clear();
  } else {
    r.outcome = Resolution::Outcome::kAmbiguous;
    std::string names;
    for (const Profile* p : r.candidates) names += (names.empty() ? "" : ", ") + p->name;
    if (r.candidates.size() == kMaxCandidates) names += ", ...";
    r.message = fmt::format("the tags {} match more than one profile ({}); give more tags, or "
                            "the profile's id or name",
                            asked, names);
  }
  return r;
}

Resolution ProfileIndex::resolve(const ProfileQuery& q, const ReachFn& reach) const {
  Resolution r;
  struct Pick {
    const Profile* profile;
    std::string asked;
  };
  std::vector<Pick> picks;
  if (!q.id_or_arn.empty()) {
    const Profile* p = byIdOrArn(q.id_or_arn);
    if (!p) {
      r.message = fmt::format("no profile has the id or ARN {}", jsonQuote(q.id_or_arn));
      return r;
    }
    picks.push_back({p, fmt::format("id {}", jsonQuote(q.id_or_arn))});
  }
  if (!q.name.empty()) {
    const Profile* p = byName(q.name);
    if (!p) {
      r.message = fmt::format("no profile is named {}", jsonQuote(q.name));
      return r;
    }
    picks.push_back({p, fmt::format("name {}", jsonQuote(q.name))});
  }
  for (const Pick& pick : picks) {
    if (reach && !reach(*pick.profile)) {
      r.outcome = Resolution::Outcome::kForbidden;
      r.profile = pick.profile;
      r.message = fmt::format("this key may not use the profile with {}", pick.asked);
      return r;
    }
  }
  if (!q.tags.empty()) {
    Resolution by_tags = resolveByTags(q.tags, reach);
    if (!by_tags.found()) return by_tags;
    picks.push_back({by_tags.profile, fmt::format("tags {}", describeTags(q.tags))});
  }
  if (picks.empty()) {
    r.message = "the request names no profile (give inference-profile-id, "
                "inference-profile-name or tags)";
    return r;
  }
  for (const Pick& pick : picks) {
    if (pick.profile != picks.front().profile) {
      r.outcome = Resolution::Outcome::kConflict;
      r.message = fmt::format("{} names profile {} but {} names profile {}", picks.front().asked,
                              jsonQuote(picks.front().profile->name), pick.asked,
                              jsonQuote(pick.profile->name));
      return r;
    }
  }
  r.outcome = Resolution::Outcome::kFound;
  r.profile = picks.front().profile;
  return r;
}

}  // namespace costgate::profiles
