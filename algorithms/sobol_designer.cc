#include "algorithms/sobol_designer.h"

#include <algorithm>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/sobol.hpp>
#include <boost/random/uniform_01.hpp>
#include <utility>

#include "algorithms/seeding.h"

namespace tuner {
namespace {

constexpr size_t kMaxSobolDimension = boost::random::detail::qrng_tables::sobol::max_dimension;

// Stream numbers for DeriveSeed, apart from the point indices' own streams.
constexpr uint64_t kShiftStream = ~uint64_t{0};

// The top 53 bits of a 64-bit word as a double in [0, 1).
double ToUnitInterval(uint64_t word) { return static_cast<double>(word >> 11) * 0x1p-53; }

}  // namespace

SobolDesigner::SobolDesigner(SearchSpace space, SobolDesignerOptions options)
    : space_(std::move(space)), options_(options) {
  const size_t dimension = std::clamp<size_t>(space_.parameters.size(), 1, kMaxSobolDimension);
  shift_.assign(dimension, 0);
  if (options_.random_shift) {
    boost::random::mt19937_64 engine(DeriveSeed(options_.seed, kShiftStream));
    for (uint64_t& word : shift_) word = engine();
  }
}

void SobolDesigner::Update(const std::vector<const Trial*>& finished,
                           const std::vector<const Trial*>& active) {
  next_index_ = static_cast<int64_t>(finished.size() + active.size());
}

std::vector<double> SobolDesigner::UnitPoint(uint64_t k) const {
  const size_t dimension = shift_.size();
  std::vector<double> point(std::max(dimension, space_.parameters.size()));
  std::vector<uint64_t> words(dimension, 0);  // point 0 is the origin
  if (k > 0) {
    // Boost's sequence starts at the standard sequence's point 1; seed(n)
    // jumps to its point n in O(log n).
    boost::random::sobol engine(dimension);
    engine.seed(k - 1);
    for (uint64_t& word : words) word = engine();
  }
  for (size_t j = 0; j < dimension; ++j) point[j] = ToUnitInterval(words[j] ^ shift_[j]);
  if (point.size() > dimension) {  // beyond the direction-number table
    boost::random::mt19937_64 engine(DeriveSeed(options_.seed, k));
    boost::random::uniform_01<double> uniform;
    for (size_t j = dimension; j < point.size(); ++j) point[j] = uniform(engine);
  }
  return point;
}

std::vector<Assignment> SobolDesigner::Suggest(int count) {
  std::vector<Assignment> out;
  origins_.clear();
  if (count <= 0) return out;
  out.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    out.push_back(FromUnitPoint(space_, UnitPoint(static_cast<uint64_t>(next_index_++))));
  }
  origins_.assign(out.size(), "sobol");
  return out;
}

}  // namespace tuner
