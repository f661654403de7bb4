// Derives generator seeds from a study's explicit seed.
//
// DeriveSeed(seed, stream) mixes the two with SplitMix64 (Steele, Lea and
// Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), so
// nearby inputs (seed 1 vs 2, point 41 vs 42) give unrelated seeds. The result
// is a pure function of its arguments on every platform, which is what lets a
// designer rebuilt from history repeat its suggestions. Thread-safe.
#ifndef TUNER_ALGORITHMS_SEEDING_H_
#define TUNER_ALGORITHMS_SEEDING_H_

#include <cstdint>

namespace tuner {

// One round of the SplitMix64 output function applied to `x`.
uint64_t SplitMix64(uint64_t x);

// A seed for the `stream`-th generator of a designer seeded with `seed`.
uint64_t DeriveSeed(uint64_t seed, uint64_t stream);

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_SEEDING_H_
