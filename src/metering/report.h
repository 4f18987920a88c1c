#pragma once
// Chargeback reports: the ledger's calls, tokens and exact costs grouped by tags, model, profile
// or region, per UTC day, per UTC month, or over the whole range. The rules live here (group
// keys, periods, order, totals); store/ computes the same rows in SQL for large ledgers, and
// aggregateRecords() below is the plain reference its tests compare against.
//
// Groups: "tag:KEY" groups by the value of the record's tag KEY (key matched case-insensitively,
// as everywhere); a record without that tag falls in the group whose value is nullopt, shown as
// "(none)". "model" groups by model id, "profile" by the profile's name as recorded with the
// call, "region" by region.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "metering/ledger_store.h"
#include "metering/usage_record.h"

namespace costgate::metering {

struct GroupKey {
  enum class Kind { kTag, kModel, kProfile, kRegion };
  Kind kind = Kind::kModel;
  std::string tag_key;  // kTag: as the user wrote it (matched case-insensitively)
  // "tag:TenantID", "model", "profile", "region".
  std::string name() const;
  friend bool operator==(const GroupKey&, const GroupKey&) = default;
};

// Parses a comma-separated list such as "tag:TenantID,model". Fails naming the bad item on an
// unknown kind, an empty tag key, or a group given twice (tag keys compared case-insensitively).
// "" is no grouping.
Result<std::vector<GroupKey>> parseGroupBy(std::string_view text);

enum class Granularity { kTotal, kDay, kMonth };
const char* granularityName(Granularity g);  // "total", "day", "month"
Result<Granularity> parseGranularity(std::string_view text);

// The start of the UTC day or month that holds `t`; kTotal has no periods (nullopt).
std::optional<TimePoint> periodStart(TimePoint t, Granularity g);
// The UTC midnight at or before `t`.
TimePoint dayStart(TimePoint t);
// The UTC midnight that starts the month holding `t`.
TimePoint monthStart(TimePoint t);

struct ReportQuery {
  TimePoint from;  // started_at >= from
  TimePoint to;    // started_at < to
  std::vector<GroupKey> group_by;
  Granularity granularity = Granularity::kTotal;
  // nullopt: every profile; otherwise only these profile ids (empty: none at all, e.g. a tenant
  // key bound to no profile).
  std::optional<std::vector<std::string>> profile_ids;
};

// Parses a bound of a report's range, UTC: "YYYY-MM" (the month's first midnight), "YYYY-MM-DD"
// (midnight) or "YYYY-MM-DDTHH:MM:SS[.mmm]Z". The error quotes the text and shows the forms.
Result<TimePoint> parseReportTime(std::string_view text);

// Sets q.from and q.to from their texts ("" when not given). Defaults: from the start of the
// UTC month that holds `to` (with `to` not given: the current month), to the next UTC midnight
// after `now` (so the current month so far, today included). Fails on a malformed bound or an
// empty range, naming the option ("from", "to") it blames.
Status setReportRange(ReportQuery& q, std::string_view from, std::string_view to, TimePoint now);

struct ReportRow {
  std::vector<std::optional<std::string>> groups;  // one per ReportQuery::group_by, in order
  std::optional<TimePoint> period;                 // nullopt for Granularity::kTotal
  UsageTotals totals;
};

struct Report {
  std::vector<ReportRow> rows;  // ordered by groups (values before "(none)"), then period
  UsageTotals totals;           // the sum of every row
  // Records that started before this UTC midnight were archived as daily totals (ledger
  // retention); nullopt when nothing was.
  std::optional<TimePoint> archived_before;
};

// Adds b into a (counts, tokens and money, exactly).
void addTotals(UsageTotals& a, const UsageTotals& b);
// The totals of one record.
UsageTotals totalsOf(const UsageRecord& r);

// Sorts rows into report order, merges rows with equal groups and period (rows from raw records
// and from archived days), and sums the report's totals.
Report finishReport(std::vector<ReportRow> rows);

// The value of `key` for one record's grouping (nullopt: a tag the record lacks).
std::optional<std::string> groupValue(const GroupKey& key, const UsageRecord& r);

// The report over `records` (already filtered by time and profile), computed plainly in C++.
Report aggregateRecords(const std::vector<UsageRecord>& records, const ReportQuery& q);

// Where reports come from: the ledger's records and its archived daily totals.
class UsageReports {
 public:
  virtual ~UsageReports() = default;
  // The report for `q` over the records still in the ledger and the daily totals of archived
  // days. Fails when q.from or q.to falls inside an archived day without being its midnight (an
  // archived day is only known whole).
  virtual Result<Report> report(const ReportQuery& q) = 0;
  // Moves every record that started before `cutoff` (a UTC midnight) into daily totals (per day,
  // profile, model, region and tag set, so every report group stays exact), then deletes it; one
  // transaction per day, so an interrupted archive leaves whole days. Returns how many records
  // were archived.
  virtual Result<int64_t> archiveBefore(TimePoint cutoff) = 0;
  // True when the UTC day starting at `day` has archived daily totals.
  virtual Result<bool> isArchivedDay(TimePoint day) = 0;
};

// Fails, naming the bound, when q.from or q.to falls inside a day that `reports` holds only as
// daily totals without being its midnight: such a day can only be counted whole.
Status checkArchivedBounds(UsageReports& reports, const ReportQuery& q);

// The cutoff of ledger retention: records of the `retention_days` whole UTC days before today
// (and today's) stay; those that started before that midnight are archived.
TimePoint retentionCutoff(TimePoint now, int64_t retention_days);

}  // namespace costgate::metering
