#include "profiles/profile_index.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/strings.h"
#include "profiles/tags.h"

namespace costgate::profiles {

void ProfileIndex::postingKey(std::string& out, std::string_view key, std::string_view value) {
  out.clear();
  for (char c : key) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  out += '\0';
  out += value;
}

bool ProfileIndex::Posting::holds(uint32_t profile, size_t& cursor) const {
  if (!bits.empty()) return (bits[profile / 64] >> (profile % 64)) & 1;
  // Candidates come in ascending order, so each search starts where the last one ended.
  auto it = std::lower_bound(ids.begin() + static_cast<ptrdiff_t>(cursor), ids.end(), profile);
  cursor = static_cast<size_t>(it - ids.begin());
  return it != ids.end() && *it == profile;
}

ProfileIndex::ProfileIndex(std::vector<Profile> profiles) : profiles_(std::move(profiles)) {
  by_id_.reserve(profiles_.size());
  by_arn_.reserve(profiles_.size());
  by_name_.reserve(profiles_.size());
  std::string key;
  for (uint32_t i = 0; i < profiles_.size(); ++i) {
    const Profile& p = profiles_[i];
    by_id_.emplace(p.id, i);
    by_arn_.emplace(p.arn, i);
    if (!p.bedrock_arn.empty()) by_arn_.emplace(p.bedrock_arn, i);
    by_name_.emplace(p.name, i);
    for (const Tag& t : p.tags) {
      postingKey(key, t.key, t.value);
      std::vector<uint32_t>& ids = postings_[key].ids;
      if (ids.empty() || ids.back() != i) ids.push_back(i);  // ascending, each profile once
    }
  }
  const size_t words = (profiles_.size() + 63) / 64;
  for (auto& [k, posting] : postings_) {
    if (posting.ids.size() * 64 < profiles_.size()) continue;
    posting.bits.assign(words, 0);
    for (uint32_t i : posting.ids) posting.bits[i / 64] |= uint64_t{1} << (i % 64);
  }
}

const Profile* ProfileIndex::byId(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &profiles_[it->second];
}

const Profile* ProfileIndex::byArn(std::string_view arn) const {
  auto it = by_arn_.find(arn);
  return it == by_arn_.end() ? nullptr : &profiles_[it->second];
}

const Profile* ProfileIndex::byIdOrArn(std::string_view id_or_arn) const {
  return id_or_arn.substr(0, 4) == "arn:" ? byArn(id_or_arn) : byId(id_or_arn);
}

const Profile* ProfileIndex::byName(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &profiles_[it->second];
}

Resolution ProfileIndex::resolveByTags(const std::vector<Tag>& tags, const ReachFn& reach) const {
  Resolution r;
  // One posting list per tag; the shortest one bounds the work, and each of its profiles is
  // checked against the others (a bit test for common tags, a forward search for rare ones).
  std::vector<const Posting*> lists;
  lists.reserve(tags.size());
  std::string key;
  for (const Tag& t : tags) {
    postingKey(key, t.key, t.value);
    auto it = postings_.find(key);
    if (it == postings_.end()) {
      lists.clear();
      break;
    }
    lists.push_back(&it->second);
  }
  std::sort(lists.begin(), lists.end(),
            [](const Posting* a, const Posting* b) { return a->ids.size() < b->ids.size(); });
  // One match past kMaxCandidates tells whether the list shown is complete.
  bool more = false;
  if (!lists.empty()) {
    std::vector<size_t> cursors(lists.size(), 0);
    for (uint32_t i : lists.front()->ids) {
      bool all = true;
      for (size_t l = 1; all && l < lists.size(); ++l) all = lists[l]->holds(i, cursors[l]);
      if (!all || (reach && !reach(profiles_[i]))) continue;
      if (r.candidates.size() == kMaxCandidates) {
        more = true;
        break;
      }
      r.candidates.push_back(&profiles_[i]);
    }
  }
  if (r.candidates.empty()) {
    r.outcome = Resolution::Outcome::kNotFound;
    r.message = fmt::format("no profile has the tags {}", describeTags(tags));
  } else if (r.candidates.size() == 1) {
    r.outcome = Resolution::Outcome::kFound;
    r.profile = r.candidates.front();
    r.candidates.clear();
  } else {
    r.outcome = Resolution::Outcome::kAmbiguous;
    std::string names;
    for (const Profile* p : r.candidates) names += (names.empty() ? "" : ", ") + p->name;
    if (more) names += ", ...";
    r.message = fmt::format(
        "the tags {} match more than one profile ({}); give more tags, or "
        "the profile's id or name",
        describeTags(tags), names);
  }
  return r;
}

Resolution ProfileIndex::resolve(const ProfileQuery& q, const ReachFn& reach) const {
  Resolution r;
  enum class Selector { kId, kName, kTags };
  struct Pick {
    const Profile* profile = nullptr;
    Selector by = Selector::kId;
  };
  // What a selector asked, spelled out only when an error needs it.
  auto asked = [&q](Selector by) {
    switch (by) {
      case Selector::kId:
        return fmt::format("id {}", jsonQuote(q.id_or_arn));
      case Selector::kName:
        return fmt::format("name {}", jsonQuote(q.name));
      case Selector::kTags:
        break;
    }
    return fmt::format("tags {}", describeTags(q.tags));
  };
  Pick picks[3];
  size_t n = 0;
  if (!q.id_or_arn.empty()) {
    const Profile* p = byIdOrArn(q.id_or_arn);
    if (!p) {
      r.message = fmt::format("no profile has the id or ARN {}", jsonQuote(q.id_or_arn));
      return r;
    }
    picks[n++] = {p, Selector::kId};
  }
  if (!q.name.empty()) {
    const Profile* p = byName(q.name);
    if (!p) {
      r.message = fmt::format("no profile is named {}", jsonQuote(q.name));
      return r;
    }
    picks[n++] = {p, Selector::kName};
  }
  for (size_t i = 0; i < n; ++i) {
    if (reach && !reach(*picks[i].profile)) {
      r.outcome = Resolution::Outcome::kForbidden;
      r.profile = picks[i].profile;
      r.message = fmt::format("this key may not use the profile with {}", asked(picks[i].by));
      return r;
    }
  }
  if (!q.tags.empty()) {
    Resolution by_tags = resolveByTags(q.tags, reach);
    if (!by_tags.found()) return by_tags;
    picks[n++] = {by_tags.profile, Selector::kTags};
  }
  if (n == 0) {
    r.message =
        "the request names no profile (give inference-profile-id, "
        "inference-profile-name or tags)";
    return r;
  }
  for (size_t i = 1; i < n; ++i) {
    if (picks[i].profile != picks[0].profile) {
      r.outcome = Resolution::Outcome::kConflict;
      r.message = fmt::format("{} names profile {} but {} names profile {}", asked(picks[0].by),
                              jsonQuote(picks[0].profile->name), asked(picks[i].by),
                              jsonQuote(picks[i].profile->name));
      return r;
    }
  }
  r.outcome = Resolution::Outcome::kFound;
  r.profile = picks[0].profile;
  return r;
}

}  // namespace costgate::profiles
