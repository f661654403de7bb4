#include "algorithms/random_designer.h"

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_01.hpp>
#include <utility>

#include "algorithms/seeding.h"

namespace tuner {

RandomDesigner::RandomDesigner(SearchSpace space, uint64_t seed)
    : space_(std::move(space)), seed_(seed) {}

void RandomDesigner::Update(const std::vector<const Trial*>& finished,
                            const std::vector<const Trial*>& active) {
  next_index_ = static_cast<int64_t>(finished.size() + active.size());
}

std::vector<Assignment> RandomDesigner::Suggest(int count) {
  std::vector<Assignment> out;
  origins_.clear();
  if (count <= 0) return out;
  out.reserve(static_cast<size_t>(count));
  std::vector<double> point(space_.parameters.size());
  for (int i = 0; i < count; ++i) {
    boost::random::mt19937_64 engine(DeriveSeed(seed_, static_cast<uint64_t>(next_index_++)));
    boost::random::uniform_01<double> uniform;
    for (double& u : point) u = uniform(engine);
    out.push_back(FromUnitPoint(space_, point));
  }
  origins_.assign(out.size(), "random");
  return out;
}

}  // namespace tuner
