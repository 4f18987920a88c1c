#include "metering/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <tuple>

#include "common/strings.h"

namespace costgate::metering {

std::string GroupKey::name() const {
  switch (kind) {
    case Kind::kTag:
      return "tag:" + tag_key;
    case Kind::kModel:
      return "model";
    case Kind::kProfile:
      return "profile";
    case Kind::kRegion:
      return "region";
  }
  return "";
}

Result<std::vector<GroupKey>> parseGroupBy(std::string_view text) {
  std::vector<GroupKey> out;
  if (trim(text).empty()) return out;
  for (std::string_view raw : split(text, ',')) {
    std::string_view item = trim(raw);
    GroupKey key;
    if (item.size() >= 4 && equalsIgnoreCase(item.substr(0, 4), "tag:")) {
      key.kind = GroupKey::Kind::kTag;
      key.tag_key = std::string(trim(item.substr(4)));
      if (key.tag_key.empty()) {
        return makeError(
            fmt::format("group by {}: the tag key is empty (write tag:KEY)", jsonQuote(item)));
      }
    } else if (item == "model") {
      key.kind = GroupKey::Kind::kModel;
    } else if (item == "profile") {
      key.kind = GroupKey::Kind::kProfile;
    } else if (item == "region") {
      key.kind = GroupKey::Kind::kRegion;
    } else {
      return makeError(
          fmt::format("cannot group by {}: use tag:KEY, model, profile or region, separated by "
                      "commas",
                      jsonQuote(item)));
    }
    for (const GroupKey& seen : out) {
      if (seen.kind == key.kind && equalsIgnoreCase(seen.tag_key, key.tag_key)) {
        return makeError(fmt::format("group by {} is given twice", jsonQuote(key.name())));
      }
    }
    out.push_back(std::move(key));
  }
  return out;
}

const char* granularityName(Granularity g) {
  switch (g) {
    case Granularity::kTotal:
      return "total";
    case Granularity::kDay:
      return "day";
    case Granularity::kMonth:
      return "month";
  }
  return "total";
}

Result<Granularity> parseGranularity(std::string_view text) {
  for (Granularity g : {Granularity::kTotal, Granularity::kDay, Granularity::kMonth}) {
    if (text == granularityName(g)) return g;
  }
  return makeError(
      fmt::format("granularity {} is not one of \"day\", \"month\" or \"total\"", jsonQuote(text)));
}

TimePoint dayStart(TimePoint t) { return std::chrono::floor<std::chrono::days>(t); }

TimePoint monthStart(TimePoint t) {
  using namespace std::chrono;
  year_month_day ymd{floor<days>(t)};
  return sys_days{ymd.year() / ymd.month() / 1};
}

std::optional<TimePoint> periodStart(TimePoint t, Granularity g) {
  switch (g) {
    case Granularity::kTotal:
      return std::nullopt;
    case Granularity::kDay:
      return dayStart(t);
    case Granularity::kMonth:
      return monthStart(t);
  }
  return std::nullopt;
}

Result<TimePoint> parseReportTime(std::string_view text) {
  TimePoint t;
  std::string s(trim(text));
  if (s.size() == 7) s += "-01";  // YYYY-MM
  if (!parseIso8601(s, t)) {
    return makeError(
        fmt::format("{} is not a UTC date or time: use YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ",
                    jsonQuote(text)));
  }
  return t;
}

Status setReportRange(ReportQuery& q, std::string_view from, std::string_view to, TimePoint now) {
  q.to = dayStart(now) + std::chrono::days(1);
  if (!to.empty()) {
    auto t = parseReportTime(to);
    if (!t) return makeError("to: " + t.error());
    q.to = *t;
  }
  q.from = monthStart(q.to - std::chrono::milliseconds(1));
  if (!from.empty()) {
    auto t = parseReportTime(from);
    if (!t) return makeError("from: " + t.error());
    q.from = *t;
  }
  if (q.from >= q.to) {
    return makeError(
        fmt::format("from {} is not before to {}", formatIso8601(q.from), formatIso8601(q.to)));
  }
  return {};
}

void addTotals(UsageTotals& a, const UsageTotals& b) {
  a.calls += b.calls;
  a.failures += b.failures;
  a.usage.input_tokens += b.usage.input_tokens;
  a.usage.output_tokens += b.usage.output_tokens;
  a.usage.cache_read_tokens += b.usage.cache_read_tokens;
  a.usage.cache_write_tokens += b.usage.cache_write_tokens;
  a.input_cost += b.input_cost;
  a.output_cost += b.output_cost;
  a.total_cost += b.total_cost;
}

UsageTotals totalsOf(const UsageRecord& r) {
  UsageTotals t;
  t.calls = 1;
  t.failures = r.status == CallStatus::kFailure ? 1 : 0;
  t.usage = r.usage;
  t.input_cost = r.cost.input();
  t.output_cost = r.cost.output;
  t.total_cost = r.cost.total();
  return t;
}

namespace {

// Values sort before "(none)" (nullopt), then byte order.
bool groupLess(const std::optional<std::string>& a, const std::optional<std::string>& b) {
  if (a.has_value() != b.has_value()) return a.has_value();
  return a && *a < *b;
}

bool rowLess(const ReportRow& a, const ReportRow& b) {
  for (size_t i = 0; i < a.groups.size() && i < b.groups.size(); ++i) {
    if (groupLess(a.groups[i], b.groups[i])) return true;
    if (groupLess(b.groups[i], a.groups[i])) return false;
  }
  return a.period < b.period;
}

bool sameRow(const ReportRow& a, const ReportRow& b) {
  return a.groups == b.groups && a.period == b.period;
}

}  // namespace

Report finishReport(std::vector<ReportRow> rows) {
  std::stable_sort(rows.begin(), rows.end(), rowLess);
  Report out;
  for (ReportRow& row : rows) {
    addTotals(out.totals, row.totals);
    if (!out.rows.empty() && sameRow(out.rows.back(), row)) {
      addTotals(out.rows.back().totals, row.totals);
    } else {
      out.rows.push_back(std::move(row));
    }
  }
  return out;
}

std::optional<std::string> groupValue(const GroupKey& key, const UsageRecord& r) {
  switch (key.kind) {
    case GroupKey::Kind::kTag:
      for (const auto& tag : r.tags) {
        if (equalsIgnoreCase(tag.key, key.tag_key)) return tag.value;
      }
      return std::nullopt;
    case GroupKey::Kind::kModel:
      return r.model_id;
    case GroupKey::Kind::kProfile:
      return r.profile_name;
    case GroupKey::Kind::kRegion:
      return r.region;
  }
  return std::nullopt;
}

Report aggregateRecords(const std::vector<UsageRecord>& records, const ReportQuery& q) {
  std::vector<ReportRow> rows;
  rows.reserve(records.size());
  for (const UsageRecord& r : records) {
    ReportRow row;
    for (const GroupKey& key : q.group_by) row.groups.push_back(groupValue(key, r));
    row.period = periodStart(r.started_at, q.granularity);
    row.totals = totalsOf(r);
    rows.push_back(std::move(row));
  }
  return finishReport(std::move(rows));
}

Status checkArchivedBounds(UsageReports& reports, const ReportQuery& q) {
  for (auto [name, t] : {std::pair{"from", q.from}, std::pair{"to", q.to}}) {
    const TimePoint day = dayStart(t);
    if (t == day) continue;
    Result<bool> archived = reports.isArchivedDay(day);
    if (!archived) return makeError(archived.error());
    if (*archived) {
      return makeError(fmt::format(
          "{} {} falls inside {}, an archived day whose usage is kept only as daily totals; use "
          "a UTC midnight ({} or the day after) instead",
          name, formatIso8601(t), formatIso8601(day).substr(0, 10), formatIso8601(day)));
    }
  }
  return {};
}

TimePoint retentionCutoff(TimePoint now, int64_t retention_days) {
  return dayStart(now) - std::chrono::days(retention_days);
}

}  // namespace costgate::metering
