#pragma once
// Diagnostics: every problem found in an input file, collected so the user sees them all at
// once, each naming the file and the JSON path: `config.json: profiles[2].name: ...`.

#include <string>
#include <string_view>
#include <vector>

namespace costgate::config {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void error(std::string_view path, std::string_view message);
  void warning(std::string_view path, std::string_view message);
  // Takes over another file's findings (config and models are checked together).
  void merge(const Diagnostics& other);

  bool hasErrors() const { return !errors_.empty(); }
  const std::vector<std::string>& errors() const { return errors_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  const std::string& file() const { return file_; }

 private:
  std::string format(std::string_view path, std::string_view message) const;
  std::string file_;
  std::vector<std::string> errors_;
  std::vector<std::string> warnings_;
};

}  // namespace costgate::config
