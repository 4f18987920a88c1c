#pragma once
// Output for people (aligned tables) and for scripts (JSON), and JSON views of domain objects
// shared by the subcommands.

#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "identity/api_key.h"
#include "pricing/price.h"
#include "profiles/profile.h"

namespace costgate::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  // Left-aligned columns separated by two spaces; a header row in capitals.
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Prints a JSON value, pretty, with a trailing newline.
void printJson(const boost::json::value& v);

std::string tagsText(const std::vector<profiles::Tag>& tags);  // "K=V, K2=V2"
boost::json::object profileJson(const profiles::Profile& p);
boost::json::object priceJson(const pricing::ModelPrice& p);

}  // namespace costgate::cli
