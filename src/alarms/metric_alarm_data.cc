#include "alarms/metric_alarm_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <limits>

#include "metrics/query_eval.h"
#include "metrics/query_expression.h"
#include "metrics/query_request.h"

namespace costgate::alarms {

namespace {

using metrics::Datapoint;
using metrics::Datapoints;
using metrics::Statistic;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
constexpr int kMaxDepth = 16;  // expressions naming expressions; deeper goes the general way

int64_t ms(TimePoint t) { return t.time_since_epoch().count(); }

// Folds per-minute points into the windows from + k × period: `merge(acc, v)` per point.
template <class Merge>
Datapoints fold(const Datapoints& minutes, TimePoint from, milliseconds period, Merge merge) {
  Datapoints out;
  int64_t current = -1;
  for (const Datapoint& p : minutes) {
    const int64_t k = (p.timestamp - from).count() / period.count();
    if (k != current) {
      out.push_back({from + period * k, p.value});
      current = k;
    } else {
      merge(out.back().value, p.value);
    }
  }
  return out;
}

// The source as seen from windows shifted by `offset`: a period aligned to the epoch here is the
// window starting `offset` later there. Lets evaluateQuery (epoch-aligned) compute an alarm's
// sliding windows.
class ShiftedSource final : public metrics::SeriesSource {
 public:
  ShiftedSource(const metrics::SeriesSource& source, milliseconds offset)
      : source_(source), offset_(offset) {}

  // metrics::SeriesSource
  std::vector<metrics::SeriesKey> findSeries(
      std::string_view metric, const std::vector<metrics::Dimension>& filter) const override {
    return source_.findSeries(metric, filter);
  }
  Result<Datapoints> fetch(std::string_view metric, const std::vector<metrics::Dimension>& filter,
                           TimePoint from, TimePoint to, seconds period,
                           const Statistic& stat) const override {
    Result<Datapoints> points =
        fetchWindows(source_, metric, filter, from + offset_, to + offset_, period, stat);
    if (!points) return points;
    for (Datapoint& p : *points) p.timestamp -= offset_;
    return points;
  }

 private:
  const metrics::SeriesSource& source_;
  milliseconds offset_;
};

// Compiles `e` (from the query list `math`) into postfix ops; false when the fast path does not
// cover it.
bool compile(const MetricMath& math, const metrics::Expr& e, int depth,
             std::vector<MetricAlarmData::Op>& code);

bool compileId(const MetricMath& math, std::string_view id, int depth,
               std::vector<MetricAlarmData::Op>& code) {
  using Code = MetricAlarmData::Op::Code;
  if (depth > kMaxDepth) return false;
  for (size_t i = 0; i < math.queries.size(); ++i) {
    const MetricDataQuery& q = math.queries[i];
    if (q.id != id) continue;
    if (q.metric_stat) {
      code.push_back({.code = Code::kLoad, .index = static_cast<int>(i), .value = 0});
      return true;
    }
    Result<metrics::ExprPtr> parsed = metrics::parseExpression(q.expression);
    if (!parsed) return false;
    return compile(math, **parsed, depth + 1, code);
  }
  return false;
}

bool compile(const MetricMath& math, const metrics::Expr& e, int depth,
             std::vector<MetricAlarmData::Op>& code) {
  using Code = MetricAlarmData::Op::Code;
  using Kind = metrics::Expr::Kind;
  auto binary = [&](Code c) {
    if (!compile(math, *e.args[0], depth, code) || !compile(math, *e.args[1], depth, code))
      return false;
    code.push_back({.code = c, .index = 0, .value = 0});
    return true;
  };
  switch (e.kind) {
    case Kind::kNumber:
      code.push_back({.code = Code::kConst, .index = 0, .value = e.number});
      return true;
    case Kind::kId:
      return compileId(math, e.id, depth, code);
    case Kind::kNegate:
      if (!compile(math, *e.args[0], depth, code)) return false;
      code.push_back({.code = Code::kNeg, .index = 0, .value = 0});
      return true;
    case Kind::kAdd:
      return binary(Code::kAdd);
    case Kind::kSubtract:
      return binary(Code::kSub);
    case Kind::kMultiply:
      return binary(Code::kMul);
    case Kind::kDivide:
      return binary(Code::kDiv);
    case Kind::kFill: {
      if (e.args[0]->kind != Kind::kId) return false;
      if (!compile(math, *e.args[0], depth, code)) return false;
      if (e.repeat) {
        code.push_back({.code = Code::kFillRepeat, .index = 0, .value = 0});
        return true;
      }
      if (e.args[1]->kind != Kind::kNumber || !std::isfinite(e.args[1]->number)) return false;
      code.push_back({.code = Code::kFill, .index = 0, .value = e.args[1]->number});
      return true;
    }
    default:
      return false;  // lists, SUM, SEARCH: the general path
  }
}

double combine(MetricAlarmData::Op::Code c, double a, double b) {
  using Code = MetricAlarmData::Op::Code;
  double v = kMissing;
  switch (c) {
    case Code::kAdd:
      v = a + b;
      break;
    case Code::kSub:
      v = a - b;
      break;
    case Code::kMul:
      v = a * b;
      break;
    case Code::kDiv:
      v = a / b;
      break;
    default:
      break;
  }
  return std::isfinite(v) ? v : kMissing;
}

}  // namespace

Result<Datapoints> fetchWindows(const metrics::SeriesSource& source, std::string_view metric,
                                const std::vector<metrics::Dimension>& filter, TimePoint from,
                                TimePoint to, seconds period, const Statistic& stat) {
  const milliseconds p(period);
  if (p.count() <= 0) return makeError(fmt::format("period {} s is not positive", period.count()));
  if (ms(from) % p.count() == 0) return source.fetch(metric, filter, from, to, period, stat);
  const seconds minute(60);
  using Kind = Statistic::Kind;
  switch (stat.kind) {
    case Kind::kPercentile:
      return makeError(
          fmt::format("{} cannot be computed for {} s windows that do not start at a multiple of "
                      "{} s (percentiles are not re-bucketed from minutes); use a 60 s period",
                      stat.name(), period.count(), period.count()));
    case Kind::kAverage: {
      Result<Datapoints> sums =
          fetchWindows(source, metric, filter, from, to, period, Statistic{Kind::kSum, 0});
      if (!sums) return sums;
      Result<Datapoints> counts =
          fetchWindows(source, metric, filter, from, to, period, Statistic{Kind::kSampleCount, 0});
      if (!counts) return counts;
      // Same windows (a window has a count exactly when it has a sum).
      for (size_t i = 0; i < sums->size() && i < counts->size(); ++i)
        (*sums)[i].value = (*sums)[i].value / (*counts)[i].value;
      return sums;
    }
    default:
      break;
  }
  Result<Datapoints> minutes = source.fetch(metric, filter, from, to, minute, stat);
  if (!minutes) return minutes;
  switch (stat.kind) {
    case Kind::kMinimum:
      return fold(*minutes, from, p, [](double& acc, double v) { acc = std::min(acc, v); });
    case Kind::kMaximum:
      return fold(*minutes, from, p, [](double& acc, double v) { acc = std::max(acc, v); });
    default:  // Sum, SampleCount
      return fold(*minutes, from, p, [](double& acc, double v) { acc += v; });
  }
}

const MetricAlarmData::Plan& MetricAlarmData::planFor(const MetricMath& math) {
  // The shape: ids, which are metrics, the expressions' text, the result id.
  key_.clear();
  for (const MetricDataQuery& q : math.queries) {
    key_ += q.id;
    key_ += '\x1f';
    key_ += q.metric_stat ? std::string_view("\x01") : std::string_view(q.expression);
    key_ += '\x1e';
  }
  key_ += math.result_id;
  auto it = plans_.find(key_);
  if (it == plans_.end()) {
    Plan plan;
    plan.fast = compileId(math, math.result_id, 0, plan.code);
    it = plans_.emplace(key_, std::move(plan)).first;
  }
  return it->second;
}

Result<Datapoints> MetricAlarmData::datapoints(const MetricAlarm& alarm, TimePoint from,
                                               TimePoint to) {
  if (const auto* stat = std::get_if<MetricStat>(&alarm.metric)) {
    sorted_ = stat->dimensions;
    std::sort(sorted_.begin(), sorted_.end());
    return fetchWindows(source_, stat->metric, sorted_, from, to, alarm.period, stat->stat);
  }
  const auto& math = std::get<MetricMath>(alarm.metric);
  const Plan& plan = planFor(math);
  if (!plan.fast) return viaQuery(alarm, math, from, to);
  const milliseconds period(alarm.period);
  const auto n = static_cast<size_t>(std::max<int64_t>(0, (to - from).count() / period.count()));
  if (loaded_.size() < math.queries.size()) loaded_.resize(math.queries.size());
  for (const Op& op : plan.code) {  // in the plan's order, so the first failing load is named
    if (op.code != Op::Code::kLoad) continue;
    const MetricDataQuery& q = math.queries[static_cast<size_t>(op.index)];
    std::vector<double>& windows = loaded_[static_cast<size_t>(op.index)];
    windows.assign(n, kMissing);
    if (Status st = loadDense(alarm, *q.metric_stat, from, to, windows); !st)
      return makeError(fmt::format("query {}: {}", q.id, st.error()));
  }
  Datapoints out;
  if (Status st = runPlan(math, plan, from, n, period, out); !st) return makeError(st.error());
  return out;
}

Status MetricAlarmData::loadDense(const MetricAlarm& alarm, const MetricStat& stat, TimePoint from,
                                  TimePoint to, std::vector<double>& out) {
  sorted_ = stat.dimensions;
  if (!std::is_sorted(sorted_.begin(), sorted_.end())) std::sort(sorted_.begin(), sorted_.end());
  Result<Datapoints> points =
      fetchWindows(source_, stat.metric, sorted_, from, to, alarm.period, stat.stat);
  if (!points) return makeError(points.error());
  const int64_t p = milliseconds(alarm.period).count();
  for (const Datapoint& d : *points) {
    const int64_t k = (d.timestamp - from).count() / p;
    if (k >= 0 && static_cast<size_t>(k) < out.size() && std::isfinite(d.value))
      out[static_cast<size_t>(k)] = d.value;
  }
  return {};
}

Status MetricAlarmData::runPlan(const MetricMath& math, const Plan& plan, TimePoint from, size_t n,
                                milliseconds period, Datapoints& out) {
  using Code = Op::Code;
  size_t sp = 0;  // stack_[0, sp) in use; slots keep their buffers between calls
  auto push = [&]() -> Slot& {
    if (sp == stack_.size()) stack_.emplace_back();
    Slot& s = stack_[sp++];
    s.scalar = false;
    return s;
  };
  for (const Op& op : plan.code) {
    switch (op.code) {
      case Code::kLoad: {
        Slot& s = push();
        const std::vector<double>& windows = loaded_[static_cast<size_t>(op.index)];
        s.series.assign(windows.begin(), windows.end());
        break;
      }
      case Code::kConst: {
        Slot& s = push();
        s.scalar = true;
        s.value = op.value;
        s.series.assign(n, kMissing);
        break;
      }
      case Code::kNeg: {
        Slot& s = stack_[sp - 1];
        s.value = -s.value;
        for (double& v : s.series) v = -v;
        break;
      }
      case Code::kFill:
      case Code::kFillRepeat: {
        Slot& s = stack_[sp - 1];
        if (s.scalar) return makeError("FILL needs a time series or an array, got a number");
        if (op.code == Code::kFill) {
          for (double& v : s.series)
            if (std::isnan(v)) v = op.value;
        } else {
          double last = kMissing;
          for (double& v : s.series) {
            if (std::isnan(v)) {
              v = last;
            } else {
              last = v;
            }
          }
        }
        break;
      }
      default: {  // binary
        Slot& b = stack_[--sp];
        Slot& a = stack_[sp - 1];
        if (a.scalar && b.scalar) {
          a.value = combine(op.code, a.value, b.value);
        } else if (a.scalar) {
          for (double& v : b.series) v = std::isnan(v) ? v : combine(op.code, a.value, v);
          std::swap(a.series, b.series);
          a.scalar = false;
        } else if (b.scalar) {
          for (double& v : a.series) v = std::isnan(v) ? v : combine(op.code, v, b.value);
        } else {
          for (size_t i = 0; i < n; ++i) a.series[i] = combine(op.code, a.series[i], b.series[i]);
        }
        break;
      }
    }
  }
  const Slot& top = stack_[0];
  if (top.scalar)
    return makeError(fmt::format("query {} gives a number, not a time series", math.result_id));
  out.clear();
  for (size_t i = 0; i < n; ++i)
    if (!std::isnan(top.series[i]))
      out.push_back({from + period * static_cast<int64_t>(i), top.series[i]});
  return {};
}

Result<Datapoints> MetricAlarmData::viaQuery(const MetricAlarm& alarm, const MetricMath& math,
                                             TimePoint from, TimePoint to) {
  namespace json = boost::json;
  const milliseconds period(alarm.period);
  const milliseconds offset(ms(from) % period.count());
  json::array queries;
  for (const MetricDataQuery& q : math.queries) {
    json::object o{{"Id", q.id}, {"ReturnData", q.id == math.result_id}};
    if (!q.label.empty()) o["Label"] = q.label;
    if (q.metric_stat) {
      json::array dims;
      for (const metrics::Dimension& d : q.metric_stat->dimensions)
        dims.push_back(json::object{{"Name", d.name}, {"Value", d.value}});
      o["MetricStat"] = json::object{
          {"Metric", json::object{{"MetricName", q.metric_stat->metric}, {"Dimensions", dims}}},
          {"Period", alarm.period.count()},
          {"Stat", q.metric_stat->stat.name()}};
    } else {
      o["Expression"] = q.expression;
      o["Period"] = alarm.period.count();
    }
    queries.push_back(std::move(o));
  }
  json::object body{{"MetricDataQueries", std::move(queries)},
                    {"StartTime", formatIso8601(from - offset)},
                    {"EndTime", formatIso8601(to - offset)},
                    {"ScanBy", "TimestampAscending"}};
  Result<metrics::QueryRequest> request = metrics::parseQueryRequest(body);
  if (!request) return makeError(request.error());
  ShiftedSource shifted(source_, offset);
  Result<metrics::QueryResult> result =
      metrics::evaluateQuery(*request, shifted, metrics::VisibleProfiles::all());
  if (!result) return makeError(result.error());
  if (result->results.size() != 1)
    return makeError(fmt::format("query {} gives {} time series; an alarm needs exactly one",
                                 math.result_id, result->results.size()));
  Datapoints out = std::move(result->results[0].points);
  for (Datapoint& p : out) p.timestamp += offset;
  std::erase_if(out, [&](const Datapoint& p) {
    return p.timestamp < from || p.timestamp >= to || !std::isfinite(p.value);
  });
  return out;
}

}  // namespace costgate::alarms
