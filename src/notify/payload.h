#pragma once
// A notification as JSON, in each shape a receiver may ask for, and its fields as stored in the
// outbox. Every shape carries the notification id so a receiver can drop a duplicate (a
// delivery retried after a crash may arrive twice).

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string_view>

#include "common/result.h"
#include "notify/notification.h"
#include "notify/outbox.h"

namespace costgate::notify {

// costgate's own shape (webhook "json" and each line of a file subscription):
//   {"id", "topic", "kind", "created_at", "subject", "text",
//    "alarm": {"name", "description", "profile": {"id", "name"}, "tenant", "old_state",
//              "new_state", "reason", "metric", "unit", "value", "threshold", "comparison",
//              "period_seconds", "window": {"start", "end"}, "dashboard_url"}}   (alarms only)
// Times are ISO 8601 UTC; "value" is null when data was missing.
boost::json::object costgateJson(const Notification& n);

// Slack's incoming-webhook shape: {"text": "*subject*\nbody"}, with &, < and > escaped as Slack
// asks and the dashboard as a link.
boost::json::object slackJson(const Notification& n);

// Alertmanager's v2 push (POST /api/v2/alerts): one alert labelled alertname, profile, tenant,
// topic and costgate_state; annotations summary, description, notification_id, dashboard.
// ALARM fires (startsAt = the change; endsAt 24 h later, because costgate pushes once per change
// rather than re-sending, and Alertmanager would otherwise resolve it after its
// resolve_timeout); any other state resolves it (endsAt = the change).
boost::json::array alertmanagerJson(const Notification& n);

// One delivery as listings show it (`costgate notify list --json`, later `costgate alarms`):
//   {"notification_id", "topic", "kind", "subject", "created_at", "endpoint", "state",
//    "attempts", "next_attempt_at" (pending only), "last_error", "delivered_at", "updated_at"}
boost::json::object deliveryJson(const Delivery& d);

// The fields as the outbox stores them, and back.
std::string fieldsToJson(const NotificationFields& f);
Result<NotificationFields> fieldsFromJson(std::string_view text);

}  // namespace costgate::notify
