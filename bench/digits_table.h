// The tabular real-model problems of the benches (bench/make_digits_table.py
// and make_digits_size_table.py write the tables): an SVC on scikit-learn's
// digits over a grid of `buckets` (discrete), `c` and `g` (integer exponents:
// C = 10^(c/2), gamma = 10^(g/2)), one row of values per configuration.
#ifndef TUNER_BENCH_DIGITS_TABLE_H_
#define TUNER_BENCH_DIGITS_TABLE_H_

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "algorithms/search_space.h"

namespace tuner {

using DigitsKey = std::tuple<int64_t, int64_t, int64_t>;  // buckets, c, g

struct DigitsTable {
  std::map<DigitsKey, std::vector<double>> values;  // `columns` per configuration
  SearchSpace space;                                // the grid's
};

// Reads bench/data/<file>: a header line, then buckets, c, g and `columns`
// numbers per line. Exits with a message when the file cannot be read.
inline DigitsTable ReadDigitsTable(const std::string& file, int columns) {
  const std::string path = std::string(TUNER_SOURCE_DIR) + "/bench/data/" + file;
  std::ifstream in(path);
  std::string header;
  if (!std::getline(in, header)) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(1);
  }
  DigitsTable table;
  std::set<int64_t> buckets;
  int64_t b, c, g;
  while (in >> b >> c >> g) {
    std::vector<double> row(static_cast<size_t>(columns));
    for (double& v : row) in >> v;
    table.values[{b, c, g}] = row;
    buckets.insert(b);
  }
  ParameterSpec bucket_spec{.name = "buckets", .type = ParameterType::kDiscrete};
  for (int64_t v : buckets) bucket_spec.values.push_back(v);
  table.space.parameters.push_back(bucket_spec);
  table.space.parameters.push_back(
      {.name = "c", .type = ParameterType::kInteger, .min = -4, .max = 6});
  table.space.parameters.push_back(
      {.name = "g", .type = ParameterType::kInteger, .min = -8, .max = 0});
  return table;
}

// The table key of a suggested configuration.
inline DigitsKey DigitsKeyOf(const Assignment& a) {
  const auto whole = [&](const char* name) {
    const ParameterValue& v = a.at(name);
    return std::holds_alternative<int64_t>(v)
               ? std::get<int64_t>(v)
               : static_cast<int64_t>(std::llround(std::get<double>(v)));
  };
  return {whole("buckets"), whole("c"), whole("g")};
}

}  // namespace tuner

#endif  // TUNER_BENCH_DIGITS_TABLE_H_
