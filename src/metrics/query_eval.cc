#include "metrics/query_eval.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "common/strings.h"

namespace costgate::metrics {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Series {
  std::string label;
  seconds period{60};
  Datapoints points;  // ascending
};

struct Value {
  enum class Kind { kScalar, kSeries, kList };
  Kind kind = Kind::kScalar;
  double scalar = 0;           // NaN: missing (e.g. 1 / 0)
  std::vector<Series> series;  // one for kSeries
  seconds period{0};           // kList: its series' period, for SUM/FILL of an empty array
  std::optional<double> fill;  // kList made by FILL(array, v)
  bool truncated = false;      // a SEARCH was cut at kMaxSearchSeries
};

const char* kindName(Value::Kind k) {
  switch (k) {
    case Value::Kind::kScalar:
      return "a number";
    case Value::Kind::kSeries:
      return "a time series";
    case Value::Kind::kList:
      return "an array of time series";
  }
  return "?";
}

void sortPoints(Datapoints& points) {
  auto by_time = [](const Datapoint& a, const Datapoint& b) { return a.timestamp < b.timestamp; };
  if (!std::is_sorted(points.begin(), points.end(), by_time))
    std::sort(points.begin(), points.end(), by_time);
}

double apply(Expr::Kind op, double a, double b) {
  switch (op) {
    case Expr::Kind::kAdd:
      return a + b;
    case Expr::Kind::kSubtract:
      return a - b;
    case Expr::Kind::kMultiply:
      return a * b;
    case Expr::Kind::kDivide:
      return a / b;
    default:
      return NAN;
  }
}

void push(Datapoints& out, TimePoint t, double v) {
  if (std::isfinite(v)) out.push_back({t, v});
}

// a ⊕ b at the timestamps both have.
Series combine(Expr::Kind op, const Series& a, const Series& b) {
  Series out{a.label, std::min(a.period, b.period), {}};
  auto i = a.points.begin(), j = b.points.begin();
  while (i != a.points.end() && j != b.points.end()) {
    if (i->timestamp < j->timestamp) {
      ++i;
    } else if (j->timestamp < i->timestamp) {
      ++j;
    } else {
      push(out.points, i->timestamp, apply(op, i->value, j->value));
      ++i, ++j;
    }
  }
  return out;
}

// s ⊕ x (scalar_first: x ⊕ s).
Series combineScalar(Expr::Kind op, const Series& s, double x, bool scalar_first) {
  Series out{s.label, s.period, {}};
  for (const Datapoint& p : s.points)
    push(out.points, p.timestamp, scalar_first ? apply(op, x, p.value) : apply(op, p.value, x));
  return out;
}

class Evaluator {
 public:
  Evaluator(const QueryRequest& r, const SeriesSource& source, const VisibleProfiles& visible)
      : r_(r), read_(source, visible) {}

  Result<QueryResult> run() {
    std::vector<Value> values(r_.queries.size());
    for (size_t i : r_.evaluation_order) {
      const MetricDataQuery& q = r_.queries[i];
      auto v = q.metric_stat ? readMetric(q) : evalTop(q, values);
      if (!v) return makeError(v.error());
      values[i] = std::move(*v);
    }
    QueryResult out;
    out.scan_by = r_.scan_by;
    for (size_t i = 0; i < r_.queries.size(); ++i) {
      const MetricDataQuery& q = r_.queries[i];
      if (!q.return_data) continue;
      Value& v = values[i];
      if (v.kind == Value::Kind::kScalar)
        return makeError(
            fmt::format("{}.Expression: yields a number, not a time series; set ReturnData to "
                        "false to use it only in other expressions",
                        q.path));
      for (Series& s : v.series) {
        MetricDataResult res{q.id, ownLabel(q), std::move(s.points), "Complete"};
        if (v.kind == Value::Kind::kList)
          res.label = q.label ? fmt::format("{} {}", *q.label, s.label) : s.label;
        if (v.truncated) res.status_code = "PartialData";
        out.results.push_back(std::move(res));
      }
    }
    return out;
  }

 private:
  static std::string ownLabel(const MetricDataQuery& q) {
    if (q.label) return *q.label;
    return q.metric_stat ? q.metric_stat->metric : q.id;
  }

  Result<Value> readMetric(const MetricDataQuery& q) {
    const MetricStatSpec& m = *q.metric_stat;
    auto points = read_.fetch(m.metric, m.dimensions, r_.start, r_.end, m.period, m.stat);
    if (!points) return makeError(fmt::format("{}.MetricStat: {}", q.path, points.error()));
    Value v;
    v.kind = Value::Kind::kSeries;
    v.series.push_back({ownLabel(q), m.period, std::move(*points)});
    sortPoints(v.series[0].points);
    return v;
  }

  Result<Value> evalTop(const MetricDataQuery& q, const std::vector<Value>& values) {
    query_ = &q;
    values_ = &values;
    auto v = eval(*q.expression);
    if (!v) return makeError(fmt::format("{}.Expression: {}", q.path, v.error()));
    if (v->kind == Value::Kind::kSeries) v->series[0].label = ownLabel(q);
    return v;
  }

  Error fail(const Expr& e, std::string_view what) const {
    return makeError(fmt::format("at column {}: {}", e.column, what));
  }

  Result<Value> eval(const Expr& e) {
    using K = Expr::Kind;
    switch (e.kind) {
      case K::kNumber:
        return scalar(e.number);
      case K::kId: {
        for (size_t i = 0; i < r_.queries.size(); ++i)
          if (r_.queries[i].id == e.id) return (*values_)[i];
        return fail(e, fmt::format("unknown Id {}", jsonQuote(e.id)));
      }
      case K::kNegate: {
        auto x = eval(*e.args[0]);
        if (!x) return x;
        return binary(K::kMultiply, e, scalar(-1), std::move(*x));
      }
      case K::kAdd:
      case K::kSubtract:
      case K::kMultiply:
      case K::kDivide: {
        auto a = eval(*e.args[0]);
        if (!a) return a;
        auto b = eval(*e.args[1]);
        if (!b) return b;
        return binary(e.kind, e, std::move(*a), std::move(*b));
      }
      case K::kList:
        return list(e);
      case K::kFill:
        return fill(e);
      case K::kSum:
        return sum(e);
      case K::kSearch:
        return search(e);
    }
    return fail(e, "unknown expression");
  }

  static Value scalar(double x) {
    Value v;
    v.scalar = x;
    return v;
  }

  Result<Value> binary(Expr::Kind op, const Expr& e, Value a, Value b) {
    using VK = Value::Kind;
    if (a.kind == VK::kScalar && b.kind == VK::kScalar)
      return scalar(apply(op, a.scalar, b.scalar));
    if (a.kind == VK::kList && b.kind == VK::kList) return arrays(op, a, b);
    // One side is a number or a single series applied to each series of the other.
    const bool a_many = a.kind == VK::kList || (a.kind == VK::kSeries && b.kind == VK::kScalar);
    Value& many = a_many ? a : b;
    Value& one = a_many ? b : a;
    for (Series& s : many.series) {
      if (one.kind == VK::kScalar) {
        s = combineScalar(op, s, one.scalar, !a_many);
      } else {
        std::string label = s.label;
        s = a_many ? combine(op, s, one.series[0]) : combine(op, one.series[0], s);
        s.label = std::move(label);
      }
    }
    many.fill.reset();
    return std::move(many);
  }

  Value arrays(Expr::Kind op, const Value& a, const Value& b) {
    auto find = [](const Value& v, const std::string& label) -> const Series* {
      for (const Series& s : v.series)
        if (s.label == label) return &s;
      return nullptr;
    };
    std::vector<std::string> labels;
    for (const Value* v : {&a, &b})
      for (const Series& s : v->series)
        if (std::find(labels.begin(), labels.end(), s.label) == labels.end())
          labels.push_back(s.label);
    Value out;
    out.kind = Value::Kind::kList;
    out.period = std::min(a.period, b.period);
    out.truncated = a.truncated || b.truncated;
    for (const std::string& label : labels) {
      const Series* x = find(a, label);
      const Series* y = find(b, label);
      // The side that lacks the label stands for its fill value at every period, if FILLed.
      Series filled;
      if (!x || !y) {
        const std::optional<double>& fill = x ? b.fill : a.fill;
        if (!fill) continue;
        filled = Series{label, (x ? x : y)->period, {}};
        filled.points = fillPoints(filled, *fill, false);
        if (x) {
          y = &filled;
        } else {
          x = &filled;
        }
      }
      Series s = combine(op, *x, *y);
      s.label = label;
      out.series.push_back(std::move(s));
    }
    return out;
  }

  Result<Value> list(const Expr& e) {
    Value out;
    out.kind = Value::Kind::kList;
    for (const ExprPtr& item : e.args) {
      auto v = eval(*item);
      if (!v) return v;
      if (v->kind == Value::Kind::kScalar)
        return fail(*item, "an array holds time series, not numbers");
      out.truncated |= v->truncated;
      for (Series& s : v->series) {
        out.period = out.period.count() ? std::min(out.period, s.period) : s.period;
        out.series.push_back(std::move(s));
      }
    }
    return out;
  }

  // The periods of [start, end) aligned to the epoch for `s.period`: its points, and `value`
  // (or, with `repeat`, the latest earlier point's value) where it has none.
  Datapoints fillPoints(const Series& s, double value, bool repeat) const {
    const int64_t p = milliseconds(s.period).count();
    const int64_t from = r_.start.time_since_epoch().count();
    const int64_t to = r_.end.time_since_epoch().count();
    Datapoints out;
    auto it = s.points.begin();
    std::optional<double> last;
    for (int64_t t = (from + p - 1) / p * p; t < to; t += p) {
      const TimePoint tp{milliseconds(t)};
      for (; it != s.points.end() && it->timestamp < tp; ++it) out.push_back(*it);
      if (it != s.points.end() && it->timestamp == tp) {
        last = it->value;
        out.push_back(*it++);
      } else if (!repeat) {
        out.push_back({tp, value});
      } else if (last) {
        out.push_back({tp, *last});
      }
    }
    for (; it != s.points.end(); ++it) out.push_back(*it);
    return out;
  }

  Result<Value> fill(const Expr& e) {
    auto x = eval(*e.args[0]);
    if (!x) return x;
    if (x->kind == Value::Kind::kScalar)
      return fail(*e.args[0], "FILL needs a time series or an array, got a number");
    double value = 0;
    if (!e.repeat) {
      auto v = eval(*e.args[1]);
      if (!v) return v;
      if (v->kind != Value::Kind::kScalar)
        return fail(*e.args[1], fmt::format("FILL's value must be a number or REPEAT, got {}",
                                            kindName(v->kind)));
      if (!std::isfinite(v->scalar)) return fail(*e.args[1], "FILL's value is not a finite number");
      value = v->scalar;
    }
    for (Series& s : x->series) s.points = fillPoints(s, value, e.repeat);
    if (x->kind == Value::Kind::kList && !e.repeat) x->fill = value;
    return x;
  }

  Result<Value> sum(const Expr& e) {
    auto x = eval(*e.args[0]);
    if (!x) return x;
    if (x->kind == Value::Kind::kScalar) return x;
    if (x->kind == Value::Kind::kSeries) {
      if (x->series[0].points.empty()) return scalar(NAN);
      double total = 0;
      for (const Datapoint& p : x->series[0].points) total += p.value;
      return scalar(total);
    }
    std::map<TimePoint, double> totals;
    for (const Series& s : x->series)
      for (const Datapoint& p : s.points) totals[p.timestamp] += p.value;
    Value out;
    out.kind = Value::Kind::kSeries;
    out.truncated = x->truncated;
    Series s{"", x->period.count() ? x->period : seconds(60), {}};
    for (const auto& [t, v] : totals) push(s.points, t, v);
    out.series.push_back(std::move(s));
    return out;
  }

  Result<Value> search(const Expr& e) {
    const SearchSpec& spec = e.search;
    const std::optional<seconds> period = spec.period ? spec.period : query_->period;
    if (!period) return fail(e, "SEARCH needs a period: a third argument, or the query's Period");
    if ((r_.end - r_.start).count() / milliseconds(*period).count() > kMaxPeriodsPerQuery)
      return fail(e, fmt::format("the time range holds more than {} periods of {} s",
                                 kMaxPeriodsPerQuery, period->count()));
    std::set<std::vector<std::string>> groups;
    for (const SeriesKey& k : read_.findSeries(spec.metric, spec.filter)) {
      std::vector<std::string> values;
      for (const std::string& name : spec.group_by) {
        auto d = std::find_if(k.dimensions.begin(), k.dimensions.end(),
                              [&](const Dimension& d) { return d.name == name; });
        if (d == k.dimensions.end()) break;
        values.push_back(d->value);
      }
      if (values.size() == spec.group_by.size()) groups.insert(std::move(values));
    }
    Value out;
    out.kind = Value::Kind::kList;
    out.period = *period;
    for (const std::vector<std::string>& values : groups) {
      if (out.series.size() == kMaxSearchSeries) {
        out.truncated = true;
        break;
      }
      std::vector<Dimension> filter = spec.filter;
      for (size_t i = 0; i < values.size(); ++i) {
        auto same = [&](const Dimension& d) { return d.name == spec.group_by[i]; };
        if (std::none_of(filter.begin(), filter.end(), same))
          filter.push_back({spec.group_by[i], values[i]});
      }
      std::sort(filter.begin(), filter.end());
      auto points = read_.fetch(spec.metric, filter, r_.start, r_.end, *period, spec.stat);
      if (!points) return fail(e, points.error());
      std::string label = values[0];
      for (size_t i = 1; i < values.size(); ++i) label += " " + values[i];
      out.series.push_back({std::move(label), *period, std::move(*points)});
      sortPoints(out.series.back().points);
    }
    return out;
  }

  const QueryRequest& r_;
  VisibleSeries read_;
  const MetricDataQuery* query_ = nullptr;
  const std::vector<Value>* values_ = nullptr;
};

Status checkSearches(const Expr& e, const VisibleProfiles& visible, const std::string& path) {
  if (e.kind == Expr::Kind::kSearch)
    for (const Dimension& d : e.search.filter)
      if (d.name == kProfileDimension && !visible.allows(d.value))
        return makeError(
            fmt::format("{}.Expression: at column {}: profile {} is not visible to "
                        "this key",
                        path, e.column, jsonQuote(d.value)));
  for (const ExprPtr& a : e.args)
    if (auto ok = checkSearches(*a, visible, path); !ok) return ok;
  return {};
}

}  // namespace

Status checkVisibility(const QueryRequest& request, const VisibleProfiles& visible) {
  if (!visible.restricted()) return {};
  for (const MetricDataQuery& q : request.queries) {
    if (q.expression) {
      if (auto ok = checkSearches(*q.expression, visible, q.path); !ok) return ok;
      continue;
    }
    for (const Dimension& d : q.metric_stat->dimensions)
      if (d.name == kProfileDimension && !visible.allows(d.value))
        return makeError(
            fmt::format("{}.MetricStat.Metric.Dimensions: profile {} is not visible to this key",
                        q.path, jsonQuote(d.value)));
  }
  return {};
}

Result<QueryResult> evaluateQuery(const QueryRequest& request, const SeriesSource& source,
                                  const VisibleProfiles& visible) {
  return Evaluator(request, source, visible).run();
}

}  // namespace costgate::metrics
