#pragma once
// ProfileIndex: finds the profile that pays for a request, by id or ARN, by name, or by tags
// (the request's tags must be a subset of exactly one reachable profile's tags). Tag lookups go
// through an inverted index, not a scan. Immutable once built; safe to share between threads
// (a running server swaps in a new index when profiles change).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "profiles/profile.h"

namespace costgate::profiles {

// What a request said about its profile. Empty fields were not given.
struct ProfileQuery {
  std::string id_or_arn;
  std::string name;
  std::vector<Tag> tags;
  bool empty() const { return id_or_arn.empty() && name.empty() && tags.empty(); }
};

struct Resolution {
  enum class Outcome {
    kFound,
    kNotFound,   // nothing matches (HTTP 404)
    kAmbiguous,  // tags match several reachable profiles (409)
    kForbidden,  // named by id, ARN or name, but the caller may not reach it (403)
    kConflict,   // the selectors given point at different profiles (400)
  };
  Outcome outcome = Outcome::kNotFound;
  const Profile* profile = nullptr;        // kFound, kForbidden
  std::vector<const Profile*> candidates;  // kAmbiguous: the first few matches
  std::string message;                     // says what was asked, for the error body
  bool found() const { return outcome == Outcome::kFound; }
};

// Which profiles a caller may reach; an empty function reaches all.
using ReachFn = std::function<bool(const Profile&)>;

class ProfileIndex {
 public:
  ProfileIndex() = default;
  explicit ProfileIndex(std::vector<Profile> profiles);

  const Profile* byId(std::string_view id) const;
  // Our ARN or the AWS mirror's ARN.
  const Profile* byArn(std::string_view arn) const;
  const Profile* byIdOrArn(std::string_view id_or_arn) const;
  const Profile* byName(std::string_view name) const;

  // Applies the query: every selector given must point at the same profile; tags consider only
  // reachable profiles.
  Resolution resolve(const ProfileQuery& query, const ReachFn& reach = {}) const;
  Resolution resolveByTags(const std::vector<Tag>& tags, const ReachFn& reach = {}) const;

  const std::vector<Profile>& all() const { return profiles_; }
  size_t size() const { return profiles_.size(); }

 private:
  static constexpr size_t kMaxCandidates = 5;

  // Lookups by std::string_view, without building a std::string per request.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <class V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

  // The profiles holding one tag. Common tags also get a bitmap, so that checking a candidate
  // against them is one bit test; the bitmaps cost at most 8 bytes per posting entry (a list
  // gets one only when it holds at least 1/64 of all profiles).
  struct Posting {
    std::vector<uint32_t> ids;   // ascending
    std::vector<uint64_t> bits;  // empty for rare tags
    bool holds(uint32_t profile, size_t& cursor) const;
  };
  // lowercase key + '\0' + value
  static void postingKey(std::string& out, std::string_view key, std::string_view value);

  std::vector<Profile> profiles_;
  StringMap<uint32_t> by_id_;
  StringMap<uint32_t> by_arn_;
  StringMap<uint32_t> by_name_;
  StringMap<Posting> postings_;
};

}  // namespace costgate::profiles
