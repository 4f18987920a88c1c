// The rules of chargeback reports: group keys, UTC periods, report ranges, grouping with the
// "(none)" group, order and exact totals, the retention cutoff.

#include "metering/report.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace costgate::metering {
namespace {

using Kind = GroupKey::Kind;

TimePoint utc(std::string_view text) {
  TimePoint t;
  EXPECT_TRUE(parseIso8601(text, t)) << text;
  return t;
}

Money money(std::string_view text) { return *Money::parse(text); }

TEST(ReportGroupByTest, ParsesEveryKind) {
  auto keys = parseGroupBy(" tag:TenantID , model,profile,region,TAG:ApplicationID");
  ASSERT_TRUE(keys.ok()) << keys.error();
  ASSERT_EQ(keys->size(), 5u);
  EXPECT_EQ((*keys)[0], (GroupKey{Kind::kTag, "TenantID"}));
  EXPECT_EQ((*keys)[1], (GroupKey{Kind::kModel, ""}));
  EXPECT_EQ((*keys)[2], (GroupKey{Kind::kProfile, ""}));
  EXPECT_EQ((*keys)[3], (GroupKey{Kind::kRegion, ""}));
  EXPECT_EQ((*keys)[4], (GroupKey{Kind::kTag, "ApplicationID"}));
  EXPECT_EQ((*keys)[0].name(), "tag:TenantID");
  EXPECT_EQ((*keys)[2].name(), "profile");
  EXPECT_TRUE(parseGroupBy("")->empty());
}

TEST(ReportGroupByTest, PreciseErrors) {
  EXPECT_EQ(parseGroupBy("tenant").error(),
            "cannot group by \"tenant\": use tag:KEY, model, profile or region, separated by "
            "commas");
  EXPECT_EQ(parseGroupBy("model,").error(),
            "cannot group by \"\": use tag:KEY, model, profile or region, separated by commas");
  EXPECT_EQ(parseGroupBy("tag:").error(),
            "group by \"tag:\": the tag key is empty (write tag:KEY)");
  EXPECT_EQ(parseGroupBy("tag:TenantID,tag:tenantid").error(),
            "group by \"tag:tenantid\" is given twice");
  EXPECT_EQ(parseGroupBy("model,model").error(), "group by \"model\" is given twice");
}

TEST(ReportGranularityTest, ParsesNamesOnly) {
  EXPECT_EQ(*parseGranularity("day"), Granularity::kDay);
  EXPECT_EQ(*parseGranularity("month"), Granularity::kMonth);
  EXPECT_EQ(*parseGranularity("total"), Granularity::kTotal);
  EXPECT_EQ(parseGranularity("hour").error(),
            "granularity \"hour\" is not one of \"day\", \"month\" or \"total\"");
  EXPECT_FALSE(parseGranularity("Day").ok());
}

TEST(ReportPeriodTest, UtcDaysAndMonths) {
  EXPECT_EQ(periodStart(utc("2026-03-31T23:59:59.999Z"), Granularity::kDay), utc("2026-03-31"));
  EXPECT_EQ(periodStart(utc("2026-04-01T00:00:00Z"), Granularity::kDay), utc("2026-04-01"));
  EXPECT_EQ(periodStart(utc("2026-03-31T23:59:59.999Z"), Granularity::kMonth), utc("2026-03-01"));
  EXPECT_EQ(periodStart(utc("2028-02-29T12:00:00Z"), Granularity::kMonth), utc("2028-02-01"));
  EXPECT_EQ(periodStart(utc("2026-12-31T23:00:00Z"), Granularity::kMonth), utc("2026-12-01"));
  EXPECT_EQ(periodStart(utc("2026-12-31T23:00:00Z"), Granularity::kTotal), std::nullopt);
}

TEST(ReportRangeTest, ParsesTheThreeFormsAndRefusesOthers) {
  EXPECT_EQ(*parseReportTime("2026-05"), utc("2026-05-01"));
  EXPECT_EQ(*parseReportTime("2026-05-07"), utc("2026-05-07"));
  EXPECT_EQ(*parseReportTime("2026-05-07T10:11:12Z"), utc("2026-05-07T10:11:12Z"));
  EXPECT_EQ(*parseReportTime("2026-05-07T10:11:12.345Z"), utc("2026-05-07T10:11:12.345Z"));
  for (std::string_view bad : {"yesterday", "2026-13-01", "2026-02-30", "2026-05-07T10:11:12",
                               "2026-05-07 10:11:12Z", "2026-5", "1715000000", ""}) {
    auto t = parseReportTime(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.error(), "\"" + std::string(bad) +
                             "\" is not a UTC date or time: use YYYY-MM, YYYY-MM-DD or "
                             "YYYY-MM-DDTHH:MM:SSZ");
  }
}

TEST(ReportRangeTest, DefaultsToTheCurrentMonthSoFar) {
  const TimePoint now = utc("2026-05-17T13:45:00Z");
  ReportQuery q;
  ASSERT_TRUE(setReportRange(q, "", "", now).ok());
  EXPECT_EQ(q.from, utc("2026-05-01"));
  EXPECT_EQ(q.to, utc("2026-05-18")) << "today is in";

  ASSERT_TRUE(setReportRange(q, "", "", utc("2026-05-01T00:00:00Z")).ok());
  EXPECT_EQ(q.from, utc("2026-05-01"));
  EXPECT_EQ(q.to, utc("2026-05-02"));

  ASSERT_TRUE(setReportRange(q, "2026-01-15", "", now).ok());
  EXPECT_EQ(q.from, utc("2026-01-15"));
  EXPECT_EQ(q.to, utc("2026-05-18"));

  ASSERT_TRUE(setReportRange(q, "", "2026-03-01", now).ok());
  EXPECT_EQ(q.from, utc("2026-02-01")) << "the month before an exclusive end on the 1st";
  EXPECT_EQ(q.to, utc("2026-03-01"));
}

TEST(ReportRangeTest, PreciseErrors) {
  const TimePoint now = utc("2026-05-17T13:45:00Z");
  ReportQuery q;
  EXPECT_EQ(setReportRange(q, "2026-05-10", "2026-05-10", now).error(),
            "from 2026-05-10T00:00:00.000Z is not before to 2026-05-10T00:00:00.000Z");
  EXPECT_EQ(setReportRange(q, "May", "", now).error(),
            "from: \"May\" is not a UTC date or time: use YYYY-MM, YYYY-MM-DD or "
            "YYYY-MM-DDTHH:MM:SSZ");
  EXPECT_EQ(setReportRange(q, "", "2026-05-10T25:00:00Z", now).error(),
            "to: \"2026-05-10T25:00:00Z\" is not a UTC date or time: use YYYY-MM, YYYY-MM-DD or "
            "YYYY-MM-DDTHH:MM:SSZ");
}

UsageRecord record(std::string model, std::vector<profiles::Tag> tags, std::string_view start,
                   std::string_view input_cost, std::string_view output_cost,
                   CallStatus status = CallStatus::kSuccess) {
  UsageRecord r;
  r.model_id = std::move(model);
  r.profile_name = "p-" + r.model_id;
  r.region = "us-west-2";
  r.tags = std::move(tags);
  r.started_at = utc(start);
  r.usage = {10, 20, 3, 4};
  r.cost.plain_input = money(input_cost);
  r.cost.cache_read = money("0.000000000000000001");
  r.cost.output = money(output_cost);
  r.status = status;
  return r;
}

TEST(ReportAggregateTest, GroupsByTagCaseInsensitivelyWithANoneGroup) {
  std::vector<UsageRecord> records = {
      record("m1", {{"TenantID", "acme"}}, "2026-05-02T10:00:00Z", "0.1", "0.2"),
      record("m1", {{"tenantid", "acme"}}, "2026-05-02T23:59:59.999Z", "0.01", "0.02",
             CallStatus::kFailure),
      record("m2", {{"TENANTID", "beta"}}, "2026-05-03T00:00:00Z", "1", "2"),
      record("m2", {{"App", "x"}}, "2026-05-02T01:00:00Z", "0.3", "0"),
      record("m1", {}, "2026-05-04T01:00:00Z", "0.000001", "0"),
  };
  ReportQuery q;
  q.group_by = *parseGroupBy("tag:TenantId");
  q.granularity = Granularity::kDay;
  Report r = aggregateRecords(records, q);
  ASSERT_EQ(r.rows.size(), 4u);
  EXPECT_EQ(r.rows[0].groups, (std::vector<std::optional<std::string>>{"acme"}));
  EXPECT_EQ(r.rows[0].period, utc("2026-05-02"));
  EXPECT_EQ(r.rows[0].totals.calls, 2);
  EXPECT_EQ(r.rows[0].totals.failures, 1);
  EXPECT_EQ(r.rows[0].totals.usage.input_tokens, 20);
  EXPECT_EQ(r.rows[0].totals.usage.cache_write_tokens, 8);
  EXPECT_EQ(r.rows[0].totals.input_cost.toString(), "0.110000000000000002");
  EXPECT_EQ(r.rows[0].totals.output_cost.toString(), "0.22");
  EXPECT_EQ(r.rows[0].totals.total_cost.toString(), "0.330000000000000002");
  EXPECT_EQ(r.rows[1].groups[0], "beta");
  EXPECT_EQ(r.rows[1].period, utc("2026-05-03"));
  // Records without the tag: one "(none)" group, sorted last, each day on its own row.
  EXPECT_EQ(r.rows[2].groups[0], std::nullopt);
  EXPECT_EQ(r.rows[2].period, utc("2026-05-02"));
  EXPECT_EQ(r.rows[2].totals.total_cost.toString(), "0.300000000000000001");
  EXPECT_EQ(r.rows[3].groups[0], std::nullopt);
  EXPECT_EQ(r.rows[3].period, utc("2026-05-04"));
  EXPECT_EQ(r.totals.calls, 5);
  EXPECT_EQ(r.totals.failures, 1);
  EXPECT_EQ(r.totals.total_cost.toString(), "3.630001000000000005");
}

TEST(ReportAggregateTest, TwoKeysMonthsAndTotal) {
  std::vector<UsageRecord> records = {
      record("m2", {{"TenantID", "a"}}, "2026-04-30T23:59:59Z", "1", "1"),
      record("m1", {{"TenantID", "a"}}, "2026-05-01T00:00:00Z", "1", "1"),
      record("m1", {{"TenantID", "a"}}, "2026-04-01T00:00:00Z", "1", "1"),
  };
  ReportQuery q;
  q.group_by = *parseGroupBy("tag:TenantID,model");
  q.granularity = Granularity::kMonth;
  Report r = aggregateRecords(records, q);
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].groups, (std::vector<std::optional<std::string>>{"a", "m1"}));
  EXPECT_EQ(r.rows[0].period, utc("2026-04-01"));
  EXPECT_EQ(r.rows[1].groups, (std::vector<std::optional<std::string>>{"a", "m1"}));
  EXPECT_EQ(r.rows[1].period, utc("2026-05-01"));
  EXPECT_EQ(r.rows[2].groups, (std::vector<std::optional<std::string>>{"a", "m2"}));
  EXPECT_EQ(r.rows[2].period, utc("2026-04-01"));

  q.group_by.clear();
  q.granularity = Granularity::kTotal;
  r = aggregateRecords(records, q);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_TRUE(r.rows[0].groups.empty());
  EXPECT_EQ(r.rows[0].period, std::nullopt);
  EXPECT_EQ(r.rows[0].totals.calls, 3);
  EXPECT_EQ(r.totals.total_cost.toString(), "6.000000000000000003");
}

TEST(ReportAggregateTest, FinishMergesRowsOfTheSameGroupAndPeriod) {
  ReportRow a{{"x"}, utc("2026-05-01"), {}};
  a.totals.calls = 2;
  a.totals.total_cost = money("0.5");
  ReportRow b = a;
  b.totals.calls = 3;
  b.totals.total_cost = money("0.25");
  ReportRow c{{std::nullopt}, utc("2026-05-01"), {}};
  c.totals.calls = 1;
  Report r = finishReport({c, a, b});
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].totals.calls, 5);
  EXPECT_EQ(r.rows[0].totals.total_cost.toString(), "0.75");
  EXPECT_EQ(r.rows[1].groups[0], std::nullopt);
  EXPECT_EQ(r.totals.calls, 6);
}

TEST(ReportRetentionTest, CutoffIsAUtcMidnightKeepingTodayAndNWholeDays) {
  EXPECT_EQ(retentionCutoff(utc("2026-05-17T13:45:00Z"), 1), utc("2026-05-16"));
  EXPECT_EQ(retentionCutoff(utc("2026-05-17T00:00:00Z"), 30), utc("2026-04-17"));
  EXPECT_EQ(retentionCutoff(utc("2026-03-01T00:00:01Z"), 1), utc("2026-02-28"));
}

}  // namespace
}  // namespace costgate::metering
