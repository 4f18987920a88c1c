#include "metrics/query_response.h"

#include <fmt/format.h>

#include <boost/json/parser.hpp>

#include "common/strings.h"
#include "metrics/query_request.h"

namespace costgate::metrics {

namespace {

Result<boost::json::value> parseBody(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return makeError("the request body is empty; expected a JSON object");
  boost::json::parser p;
  boost::json::error_code ec;
  size_t used = p.write_some(body.data(), body.size(), ec);
  if (!ec && body.find_first_not_of(" \t\r\n", used) != std::string_view::npos)
    ec = boost::json::error::extra_data;
  if (!ec) return p.release();
  size_t line = 1, column = 1;
  for (size_t i = 0; i < used && i < body.size(); ++i) {
    if (body[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return makeError(
      fmt::format("malformed JSON at line {}, column {}: {}", line, column, ec.message()));
}

QueryResponse invalid(std::string message) {
  return {400, "invalid_request_error", std::move(message)};
}

}  // namespace

std::string resultJson(const QueryResult& result) {
  const bool ascending = result.scan_by == ScanBy::kTimestampAscending;
  std::string out = "{\"MetricDataResults\":[";
  for (size_t r = 0; r < result.results.size(); ++r) {
    const MetricDataResult& m = result.results[r];
    if (r) out += ',';
    out += fmt::format("{{\"Id\":{},\"Label\":{},\"Timestamps\":[", jsonQuote(m.id),
                       jsonQuote(m.label));
    const size_t n = m.points.size();
    auto at = [&](size_t i) -> const Datapoint& { return m.points[ascending ? i : n - 1 - i]; };
    for (size_t i = 0; i < n; ++i) {
      if (i) out += ',';
      out += '"' + formatIso8601(at(i).timestamp) + '"';
    }
    out += "],\"Values\":[";
    for (size_t i = 0; i < n; ++i) {
      if (i) out += ',';
      // Shortest text that reads back as the same double; points are finite (query_eval.h).
      out += fmt::format("{}", at(i).value);
    }
    out += fmt::format("],\"StatusCode\":{}}}", jsonQuote(m.status_code));
  }
  out += "],\"Messages\":[]}";
  return out;
}

QueryResponse runMetricsQuery(std::string_view request_body, const SeriesSource& source,
                              const VisibleProfiles& visible) {
  auto body = parseBody(request_body);
  if (!body) return invalid(body.error());
  auto request = parseQueryRequest(*body);
  if (!request) return invalid(request.error());
  if (auto ok = checkVisibility(*request, visible); !ok)
    return {403, "permission_denied", ok.error()};
  auto result = evaluateQuery(*request, source, visible);
  if (!result) return invalid(result.error());
  return {200, "", resultJson(*result)};
}

}  // namespace costgate::metrics
