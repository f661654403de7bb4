// A plain text table for terminal output: columns padded to the widest cell,
// a header row and a rule under it.
#ifndef TUNER_TUNER_CLI_TEXT_TABLE_H_
#define TUNER_TUNER_CLI_TEXT_TABLE_H_

#include <string>
#include <vector>

namespace tuner {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string ToString() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace tuner

#endif  // TUNER_TUNER_CLI_TEXT_TABLE_H_
