#pragma once
// Reconciliation: what setup must do to make the stored profiles match the config. Pure logic,
// no I/O: the CLI applies the plan through the store.

#include <string>
#include <vector>

#include "profiles/profile.h"

namespace costgate::profiles {

struct ProfileChange {
  enum class Kind { kCreate, kUpdate, kDelete, kUnchanged };
  Kind kind = Kind::kUnchanged;
  Profile profile;                    // the profile as it will be (kDelete: as it was)
  std::vector<std::string> changes;   // kUpdate: what differs, e.g. "model_id: a -> b"
};

struct ProfilePlan {
  std::vector<ProfileChange> changes;  // config order, then deletions
  std::vector<std::string> conflicts;  // problems that stop setup (a name held by a CLI profile)
  bool noop() const;
};

struct ReconcileInput {
  std::vector<ProfileSpec> desired;  // from the config, in its order
  std::vector<Profile> current;      // everything in the store
  // name -> id that the config recorded last time (profile_ids); lets a renamed profile keep
  // its id, and a seed config keep the ids it already has.
  std::vector<std::pair<std::string, std::string>> recorded_ids;
  std::string account;  // for ARNs
  TimePoint now;
};

// Matches desired profiles to stored setup-made ones (by the recorded id, else by name),
// creating, updating or deleting as needed. Profiles made with the CLI are never touched.
ProfilePlan planProfiles(const ReconcileInput& in);

}  // namespace costgate::profiles
