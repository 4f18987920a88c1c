#include "api/json_body.h"

#include <fmt/format.h>

#include <boost/json/parser.hpp>

namespace costgate::api {

Result<boost::json::value> parseJsonBody(std::string_view body) {
  boost::json::parser p;
  boost::json::error_code ec;
  size_t used = p.write_some(body.data(), body.size(), ec);
  if (!ec && body.find_first_not_of(" \t\r\n", used) != std::string_view::npos) {
    ec = boost::json::error::extra_data;
  }
  if (ec) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < used && i < body.size(); ++i) {
      if (body[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      return makeError("the request body is empty; expected a JSON object");
    }
    return makeError(
        fmt::format("malformed JSON at line {}, column {}: {}", line, col, ec.message()));
  }
  return p.release();
}

}  // namespace costgate::api
