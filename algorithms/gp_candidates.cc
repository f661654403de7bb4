#include "algorithms/gp_candidates.h"

#include <algorithm>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <numeric>
#include <utility>

namespace tuner {

std::vector<SearchPoint> PerturbationCandidates(const SearchSpace& space,
                                                const std::vector<SearchPoint>& bases,
                                                double probability, int count, uint64_t seed) {
  std::vector<SearchPoint> out;
  const int p = static_cast<int>(space.parameters.size());
  if (bases.empty() || p == 0) return out;
  boost::random::mt19937_64 engine(seed);
  boost::random::normal_distribution<double> normal;
  boost::random::uniform_01<double> uniform;
  boost::random::uniform_int_distribution<int> pick(0, p - 1);
  constexpr double kScales[4] = {0.005, 0.03, 0.1, 0.25};
  const int n_bases = static_cast<int>(bases.size());
  out.reserve(static_cast<size_t>(std::max(count, 0)));
  for (int c = 0; c < count; ++c) {
    SearchPoint z = bases[c % n_bases];
    const double scale = kScales[(c / n_bases) % 4];
    const int forced = pick(engine);
    for (int i = 0; i < p; ++i) {
      if (i != forced && uniform(engine) >= probability) continue;
      const ParameterSpec& spec = space.parameters[i];
      if (spec.type == ParameterType::kCategorical) {
        z[i] = uniform(engine);
      } else {
        const int64_t cells = spec.Cardinality();
        const double step = cells > 0 ? std::max(scale, 1.0 / static_cast<double>(cells)) : scale;
        z[i] = std::clamp(z[i] + step * normal(engine), 0.0, 1.0);
      }
    }
    out.push_back(std::move(z));
  }
  return out;
}

std::vector<SearchPoint> CoordinateCandidates(const std::vector<SearchPoint>& bases,
                                              int per_coordinate, int budget, uint64_t seed) {
  std::vector<SearchPoint> out;
  if (bases.empty() || bases.front().empty() || budget <= 0) return out;
  per_coordinate = std::max(1, per_coordinate);
  const int p = static_cast<int>(bases.front().size());
  const int pairs = std::min(static_cast<int>(bases.size()) * p, budget / per_coordinate);
  if (pairs == 0) return out;
  boost::random::mt19937_64 engine(seed);
  boost::random::uniform_01<double> uniform;
  // Coordinates in a seeded order, so a budget below P covers a random subset.
  std::vector<int> order(static_cast<size_t>(p));
  std::iota(order.begin(), order.end(), 0);
  for (int i = p - 1; i > 0; --i) {
    boost::random::uniform_int_distribution<int> pick(0, i);
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(pick(engine))]);
  }
  out.reserve(static_cast<size_t>(pairs) * per_coordinate);
  for (int pair = 0; pair < pairs; ++pair) {
    const SearchPoint& base = bases[static_cast<size_t>(pair / p)];
    const int i = order[static_cast<size_t>(pair % p)];
    for (int j = 0; j < per_coordinate; ++j) {
      SearchPoint z = base;
      z[static_cast<size_t>(i)] =
          std::min(1.0, (static_cast<double>(j) + uniform(engine)) / per_coordinate);
      out.push_back(std::move(z));
    }
  }
  return out;
}

}  // namespace tuner
