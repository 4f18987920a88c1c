#include "metrics/query_request.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <map>
#include <set>

#include "common/strings.h"

namespace costgate::metrics {

namespace json = boost::json;

namespace {

const char* typeName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "?";
}

Error at(std::string_view path, std::string_view what) {
  return makeError(fmt::format("{}: {}", path, what));
}
Error wrongType(std::string_view path, const json::value& v, std::string_view want) {
  return at(path, fmt::format("must be {}, got {}", want, typeName(v)));
}
std::string key(std::string_view path, std::string_view k) {
  return path.empty() ? std::string(k) : fmt::format("{}.{}", path, k);
}

// Every key of `obj` must be among `allowed`.
Status onlyKeys(const json::object& obj, std::string_view path,
                std::initializer_list<std::string_view> allowed) {
  for (const auto& kv : obj) {
    std::string_view k(kv.key().data(), kv.key().size());
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
      return at(key(path, k), "unknown key");
  }
  return {};
}

Result<std::string> stringAt(const json::value& v, std::string_view path, bool non_empty) {
  if (!v.is_string()) return wrongType(path, v, "a string");
  if (non_empty && v.get_string().empty()) return at(path, "must not be empty");
  return std::string(v.get_string());
}

// A period in seconds: 60 or a multiple of 60.
Result<std::chrono::seconds> periodAt(const json::value& v, std::string_view path) {
  if (!v.is_number()) return wrongType(path, v, "a number");
  json::error_code ec;
  int64_t p = v.to_number<int64_t>(ec);
  if (ec || p < 60 || p % 60 != 0 || p > 1'000'000'000)
    return at(path, "must be 60 or a multiple of 60");
  return std::chrono::seconds(p);
}

Result<TimePoint> timeAt(const json::value& v, std::string_view path) {
  TimePoint t;
  if (v.is_string()) {
    if (!parseIso8601(std::string_view(v.get_string().data(), v.get_string().size()), t))
      return at(path, fmt::format("{} is not an ISO-8601 UTC time such as 2026-01-01T00:00:00Z",
                                  jsonQuote(std::string_view(v.get_string()))));
  } else if (v.is_number()) {
    double s = v.to_number<double>();
    if (!(s >= 0 && s < 32503680000.0))  // year 3000
      return at(path, "must be epoch seconds between 1970 and 3000");
    t = TimePoint(std::chrono::milliseconds(static_cast<int64_t>(std::llround(s * 1000))));
  } else {
    return wrongType(path, v, "an ISO-8601 string or epoch seconds");
  }
  if (t.time_since_epoch().count() < 0) return at(path, "must not be before 1970");
  return t;
}

Result<MetricStatSpec> metricStatAt(const json::value& v, const std::string& path) {
  if (!v.is_object()) return wrongType(path, v, "an object");
  const json::object& obj = v.get_object();
  if (auto ok = onlyKeys(obj, path, {"Metric", "Period", "Stat", "Unit"}); !ok)
    return makeError(ok.error());
  MetricStatSpec spec;
  const std::string metric_path = key(path, "Metric");
  const json::value* metric = obj.if_contains("Metric");
  if (!metric) return at(metric_path, "missing required key");
  if (!metric->is_object()) return wrongType(metric_path, *metric, "an object");
  const json::object& m = metric->get_object();
  if (auto ok = onlyKeys(m, metric_path, {"MetricName", "Namespace", "Dimensions"}); !ok)
    return makeError(ok.error());
  if (const json::value* ns = m.if_contains("Namespace")) {
    auto text = stringAt(*ns, key(metric_path, "Namespace"), false);
    if (!text) return makeError(text.error());
    if (*text != "BedrockInvocationTracing" && *text != "costgate")
      return at(key(metric_path, "Namespace"),
                fmt::format("{} is not known (expected BedrockInvocationTracing or costgate)",
                            jsonQuote(*text)));
  }
  const json::value* name = m.if_contains("MetricName");
  if (!name) return at(key(metric_path, "MetricName"), "missing required key");
  auto metric_name = stringAt(*name, key(metric_path, "MetricName"), true);
  if (!metric_name) return makeError(metric_name.error());
  spec.metric = std::move(*metric_name);
  if (const json::value* dims = m.if_contains("Dimensions")) {
    const std::string dims_path = key(metric_path, "Dimensions");
    if (!dims->is_array()) return wrongType(dims_path, *dims, "an array");
    for (size_t i = 0; i < dims->get_array().size(); ++i) {
      const std::string d_path = fmt::format("{}[{}]", dims_path, i);
      const json::value& d = dims->get_array()[i];
      if (!d.is_object()) return wrongType(d_path, d, "an object");
      if (auto ok = onlyKeys(d.get_object(), d_path, {"Name", "Value"}); !ok)
        return makeError(ok.error());
      Dimension dim;
      for (auto [field, out] : {std::pair{"Name", &dim.name}, std::pair{"Value", &dim.value}}) {
        const json::value* f = d.get_object().if_contains(field);
        if (!f) return at(key(d_path, field), "missing required key");
        auto text = stringAt(*f, key(d_path, field), true);
        if (!text) return makeError(text.error());
        *out = std::move(*text);
      }
      for (const Dimension& seen : spec.dimensions)
        if (seen.name == dim.name)
          return at(key(d_path, "Name"), fmt::format("{} appears twice", jsonQuote(dim.name)));
      spec.dimensions.push_back(std::move(dim));
    }
    std::sort(spec.dimensions.begin(), spec.dimensions.end());
  }
  const json::value* period = obj.if_contains("Period");
  if (!period) return at(key(path, "Period"), "missing required key");
  auto p = periodAt(*period, key(path, "Period"));
  if (!p) return makeError(p.error());
  spec.period = *p;
  const json::value* stat = obj.if_contains("Stat");
  if (!stat) return at(key(path, "Stat"), "missing required key");
  auto stat_text = stringAt(*stat, key(path, "Stat"), false);
  if (!stat_text) return makeError(stat_text.error());
  auto parsed = Statistic::parse(*stat_text);
  if (!parsed) return at(key(path, "Stat"), parsed.error());
  spec.stat = *parsed;
  return spec;
}

Result<MetricDataQuery> queryAt(const json::value& v, std::string path) {
  if (!v.is_object()) return wrongType(path, v, "an object");
  const json::object& obj = v.get_object();
  if (auto ok = onlyKeys(
          obj, path,
          {"Id", "Label", "ReturnData", "MetricStat", "Expression", "Period", "AccountId"});
      !ok)
    return makeError(ok.error());
  MetricDataQuery q;
  q.path = path;
  const json::value* id = obj.if_contains("Id");
  if (!id) return at(key(path, "Id"), "missing required key");
  auto id_text = stringAt(*id, key(path, "Id"), false);
  if (!id_text) return makeError(id_text.error());
  if (!isValidQueryId(*id_text))
    return at(key(path, "Id"),
              fmt::format("{} must start with a lowercase letter and hold only letters, digits "
                          "and underscores (at most 255)",
                          jsonQuote(*id_text)));
  q.id = std::move(*id_text);
  if (const json::value* label = obj.if_contains("Label")) {
    auto text = stringAt(*label, key(path, "Label"), false);
    if (!text) return makeError(text.error());
    q.label = std::move(*text);
  }
  if (const json::value* rd = obj.if_contains("ReturnData")) {
    if (!rd->is_bool()) return wrongType(key(path, "ReturnData"), *rd, "a boolean");
    q.return_data = rd->get_bool();
  }
  if (const json::value* period = obj.if_contains("Period")) {
    auto p = periodAt(*period, key(path, "Period"));
    if (!p) return makeError(p.error());
    q.period = *p;
  }
  const json::value* stat = obj.if_contains("MetricStat");
  const json::value* expr = obj.if_contains("Expression");
  if ((stat != nullptr) == (expr != nullptr))
    return at(path, "must have exactly one of MetricStat and Expression");
  if (stat) {
    if (q.period) return at(key(path, "Period"), "goes inside MetricStat for a metric");
    auto spec = metricStatAt(*stat, key(path, "MetricStat"));
    if (!spec) return makeError(spec.error());
    q.metric_stat = std::move(*spec);
    return q;
  }
  auto text = stringAt(*expr, key(path, "Expression"), true);
  if (!text) return makeError(text.error());
  auto parsed = parseExpression(*text);
  if (!parsed) return at(key(path, "Expression"), parsed.error());
  q.expression_text = std::move(*text);
  q.expression = std::move(*parsed);
  return q;
}

// Orders the queries so each comes after those its expression names; refuses unknown Ids and
// cycles.
Status orderQueries(QueryRequest& r) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < r.queries.size(); ++i) index[r.queries[i].id] = i;
  std::vector<std::vector<size_t>> deps(r.queries.size());
  for (size_t i = 0; i < r.queries.size(); ++i) {
    const MetricDataQuery& q = r.queries[i];
    if (!q.expression) continue;
    for (const std::string& id : referencedIds(*q.expression)) {
      auto it = index.find(id);
      if (it == index.end())
        return at(key(q.path, "Expression"),
                  fmt::format("{} is not the Id of a query in this request", jsonQuote(id)));
      deps[i].push_back(it->second);
    }
  }
  // Depth-first; state 1 = on the current path, 2 = done.
  std::vector<int> state(r.queries.size(), 0);
  std::vector<size_t> path;
  auto visit = [&](auto& self, size_t i) -> Status {
    if (state[i] == 2) return {};
    if (state[i] == 1) {
      std::string chain;
      auto from = std::find(path.begin(), path.end(), i);
      for (auto it = from; it != path.end(); ++it) chain += r.queries[*it].id + " -> ";
      chain += r.queries[i].id;
      return at(key(r.queries[i].path, "Expression"),
                fmt::format("refers to itself through {}", chain));
    }
    state[i] = 1;
    path.push_back(i);
    for (size_t d : deps[i])
      if (auto ok = self(self, d); !ok) return ok;
    path.pop_back();
    state[i] = 2;
    r.evaluation_order.push_back(i);
    return {};
  };
  for (size_t i = 0; i < r.queries.size(); ++i)
    if (auto ok = visit(visit, i); !ok) return ok;
  return {};
}

Status checkRange(const QueryRequest& r) {
  const int64_t range_ms = (r.end - r.start).count();
  for (const MetricDataQuery& q : r.queries) {
    std::optional<std::chrono::seconds> period =
        q.metric_stat ? std::optional(q.metric_stat->period) : q.period;
    if (period && range_ms / (period->count() * 1000) > kMaxPeriodsPerQuery)
      return at(q.path, fmt::format("the time range holds more than {} periods of {} s; use a "
                                    "longer period or a shorter range",
                                    kMaxPeriodsPerQuery, period->count()));
  }
  return {};
}

}  // namespace

Result<QueryRequest> parseQueryRequest(const json::value& body) {
  if (!body.is_object()) return wrongType("request", body, "an object");
  const json::object& obj = body.get_object();
  if (auto ok = onlyKeys(obj, "", {"MetricDataQueries", "StartTime", "EndTime", "ScanBy"}); !ok)
    return makeError(ok.error());
  QueryRequest r;
  const json::value* queries = obj.if_contains("MetricDataQueries");
  if (!queries) return at("MetricDataQueries", "missing required key");
  if (!queries->is_array()) return wrongType("MetricDataQueries", *queries, "an array");
  const json::array& list = queries->get_array();
  if (list.empty()) return at("MetricDataQueries", "must hold at least one query");
  if (list.size() > kMaxQueriesPerRequest)
    return at("MetricDataQueries", fmt::format("must hold at most {} queries, got {}",
                                               kMaxQueriesPerRequest, list.size()));
  std::set<std::string> ids;
  for (size_t i = 0; i < list.size(); ++i) {
    auto q = queryAt(list[i], fmt::format("MetricDataQueries[{}]", i));
    if (!q) return makeError(q.error());
    if (!ids.insert(q->id).second)
      return at(key(q->path, "Id"),
                fmt::format("{} is the Id of an earlier query too", jsonQuote(q->id)));
    r.queries.push_back(std::move(*q));
  }
  for (auto [name, out] : {std::pair{"StartTime", &r.start}, std::pair{"EndTime", &r.end}}) {
    const json::value* t = obj.if_contains(name);
    if (!t) return at(name, "missing required key");
    auto parsed = timeAt(*t, name);
    if (!parsed) return makeError(parsed.error());
    *out = *parsed;
  }
  if (r.end <= r.start) return at("EndTime", "must be after StartTime");
  if (const json::value* scan = obj.if_contains("ScanBy")) {
    auto text = stringAt(*scan, "ScanBy", false);
    if (!text) return makeError(text.error());
    if (*text == "TimestampDescending") {
      r.scan_by = ScanBy::kTimestampDescending;
    } else if (*text == "TimestampAscending") {
      r.scan_by = ScanBy::kTimestampAscending;
    } else {
      return at("ScanBy", fmt::format("{} is not TimestampDescending or TimestampAscending",
                                      jsonQuote(*text)));
    }
  }
  if (auto ok = orderQueries(r); !ok) return makeError(ok.error());
  if (auto ok = checkRange(r); !ok) return makeError(ok.error());
  return r;
}

}  // namespace costgate::metrics
