#pragma once
// alerting/: alarms/ wired to the world: the alarm service `serve` runs (service.h), the edits
// the CLI and the REST API make (editor.h), and, here, the journal both use to write down what a
// tick or an edit did. alarms/ decides, notify/ delivers; this module only connects them.
//
// AlarmJournal::record writes a TickResult inside the caller's transaction on an AlarmDatabase:
// the history items (which also save the new statuses) and one notification per topic action,
// so they commit together or not at all. The notifications' messages name the alarm, its
// profile and tenant, the value against the threshold, the window and a dashboard link.
//
// Thread-compatible, like the AlarmDatabase it writes to.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "alarms/action_request.h"
#include "alarms/alarm_set.h"
#include "notify/notification.h"
#include "notify/notifier.h"
#include "store/sqlite_alarm_store.h"

namespace costgate::alerting {

// What a notification says about the profile an alarm watches (its InferenceProfile tag).
struct ProfileFacts {
  std::string id;
  std::string tenant;  // the profile's TenantID tag, "" when it has none
};
// nullopt when no profile has that name (any more).
using ProfileLookup = std::function<std::optional<ProfileFacts>(std::string_view name)>;

// The transition the notification is written from. `alarm` is the alarm as it stands (nullptr
// when it is gone); reason data (evaluation.h's explain) gives the value and the window.
notify::AlarmTransition describeTransition(const alarms::ActionRequest& r,
                                           const alarms::Alarm* alarm, const ProfileLookup& lookup,
                                           std::string_view dashboard_base);

class AlarmJournal {
 public:
  // All must outlive the journal. `notifier` must write to db.outbox().
  AlarmJournal(store::AlarmDatabase& db, notify::Notifier& notifier, ProfileLookup lookup,
               std::string dashboard_base)
      : db_(db),
        notifier_(notifier),
        lookup_(std::move(lookup)),
        dashboard_base_(std::move(dashboard_base)) {}

  // Inside a transaction on db: appends r.history, then notifies each topic action. `find` gives
  // the alarm an action is about (the set after the change). Fails, leaving the caller to roll
  // back, when either fails. Returns the number of notifications stored.
  Result<size_t> record(const alarms::TickResult& r,
                        const std::function<const alarms::Alarm*(std::string_view)>& find);

  store::AlarmDatabase& db() { return db_; }

 private:
  store::AlarmDatabase& db_;
  notify::Notifier& notifier_;
  ProfileLookup lookup_;
  std::string dashboard_base_;
};

}  // namespace costgate::alerting
