#include "notify/notification.h"

#include <gtest/gtest.h>

#include <set>

#include "notify/mail_message.h"
#include "notify/payload.h"

namespace costgate::notify {
namespace {

TimePoint at(const char* iso) {
  TimePoint t;
  EXPECT_TRUE(parseIso8601(iso, t)) << iso;
  return t;
}

AlarmTransition costAlarm() {
  AlarmTransition t;
  t.alarm = "BedrockTokenCostAlarm-customer1_websearch";
  t.profile_id = "p0123456789a";
  t.profile_name = "customer1_websearch";
  t.tenant = "customer1";
  t.old_state = "OK";
  t.new_state = "ALARM";
  t.reason =
      "Threshold Crossed: 1 out of the last 1 datapoints [1.25 (27/11/26 05:10:00)] was greater "
      "than or equal to the threshold (1.0).";
  t.metric = "InputTokensCost + OutputTokensCost (Sum)";
  t.unit = "USD";
  t.value = 1.25;
  t.threshold = 1;
  t.comparison = ">=";
  t.period = std::chrono::seconds(300);
  t.window_start = at("2026-11-27T05:10:00Z");
  t.window_end = at("2026-11-27T05:15:00Z");
  t.at = at("2026-11-27T05:16:06.123Z");
  t.dashboard_url = "http://127.0.0.1:8080/dashboard?profile=customer1_websearch";
  return t;
}

TEST(NotificationTest, AlarmMessageSaysWhatChangedWhereAndHowFar) {
  Notification n = alarmNotification(costAlarm(), "BedrockInvocationAlarms", "01ID");
  EXPECT_EQ(n.id, "01ID");
  EXPECT_EQ(n.topic, "BedrockInvocationAlarms");
  EXPECT_EQ(n.created_at, at("2026-11-27T05:16:06.123Z"));
  EXPECT_EQ(n.subject,
            "ALARM: \"BedrockTokenCostAlarm-customer1_websearch\" for profile customer1_websearch "
            "(tenant customer1)");
  EXPECT_EQ(n.body,
            "costgate alarm BedrockTokenCostAlarm-customer1_websearch changed from OK to ALARM at "
            "2026-11-27T05:16:06.123Z.\n"
            "\n"
            "Profile:    customer1_websearch (p0123456789a)\n"
            "Tenant:     customer1\n"
            "Metric:     InputTokensCost + OutputTokensCost (Sum), period 300 s, 1 of 1 "
            "datapoints\n"
            "Value seen: 1.25 USD\n"
            "Threshold:  >= 1 USD\n"
            "Window:     2026-11-27T05:10:00.000Z to 2026-11-27T05:15:00.000Z (UTC)\n"
            "Reason:     Threshold Crossed: 1 out of the last 1 datapoints [1.25 (27/11/26 "
            "05:10:00)] was greater than or equal to the threshold (1.0).\n"
            "Dashboard:  http://127.0.0.1:8080/dashboard?profile=customer1_websearch\n"
            "\n"
            "Notification id: 01ID (topic BedrockInvocationAlarms)\n");
  EXPECT_EQ(n.fields.kind, "alarm");
  EXPECT_EQ(n.fields.alarm, "BedrockTokenCostAlarm-customer1_websearch");
  EXPECT_EQ(n.fields.old_state, "OK");
  EXPECT_EQ(n.fields.new_state, "ALARM");
  EXPECT_EQ(n.fields.value, 1.25);
  EXPECT_EQ(n.fields.threshold, 1.0);
  EXPECT_EQ(n.fields.period_seconds, 300);
  EXPECT_EQ(n.fields.window_end, at("2026-11-27T05:15:00Z"));
}

TEST(NotificationTest, MissingDataAndNoProfileAreSaidPlainly) {
  AlarmTransition t = costAlarm();
  t.profile_id.clear();
  t.profile_name.clear();
  t.tenant.clear();
  t.value.reset();
  t.unit.clear();
  t.old_state = "ALARM";
  t.new_state = "INSUFFICIENT_DATA";
  t.reason = "Insufficient Data:\n1 datapoint was unknown.";
  t.dashboard_url.clear();
  Notification n = alarmNotification(t, "T", "01ID");
  EXPECT_EQ(n.subject, "INSUFFICIENT_DATA: \"BedrockTokenCostAlarm-customer1_websearch\"");
  EXPECT_NE(n.body.find("Value seen: no data\nThreshold:  >= 1\n"), std::string::npos) << n.body;
  // The reason stays on its line.
  EXPECT_NE(n.body.find("Reason:     Insufficient Data: 1 datapoint was unknown.\n"),
            std::string::npos)
      << n.body;
  EXPECT_EQ(n.body.find("Profile:"), std::string::npos);
  EXPECT_EQ(n.body.find("Dashboard:"), std::string::npos);
}

TEST(NotificationTest, SubjectNeverSpansLines) {
  AlarmTransition t = costAlarm();
  t.alarm = "evil\r\nBcc: victim@example.com";
  Notification n = alarmNotification(t, "T", "01ID");
  EXPECT_EQ(n.subject.find_first_of("\r\n"), std::string::npos);
}

TEST(NotificationTest, TestMessage) {
  Notification n = testNotification("Ops", "01ID", at("2026-11-27T05:16:06Z"));
  EXPECT_EQ(n.subject, "costgate test message for topic Ops");
  EXPECT_EQ(n.body,
            "This is a test message from costgate, sent at 2026-11-27T05:16:06.000Z to every "
            "subscription of topic Ops.\nIt needs no action.\n\nNotification id: 01ID (topic "
            "Ops)\n");
  EXPECT_EQ(n.fields.kind, "test");
}

TEST(NotificationTest, IdsAreTimeOrderedAndUnique) {
  std::set<std::string> seen;
  std::string last;
  TimePoint t = at("2026-11-27T05:16:06Z");
  for (int i = 0; i < 1000; ++i) {
    std::string id = newNotificationId(t + std::chrono::milliseconds(i / 10));
    EXPECT_EQ(id.size(), 26u);
    EXPECT_GT(id, last);
    last = id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(NotificationTest, FormatValueIsShortestExact) {
  EXPECT_EQ(formatValue(1.25), "1.25");
  EXPECT_EQ(formatValue(2000), "2000");
  EXPECT_EQ(formatValue(0.1), "0.1");
  EXPECT_EQ(formatValue(0.000123), "0.000123");
}

}  // namespace
}  // namespace costgate::notify
