// MF-Hartmann: the multi-fidelity Hartmann-3 and Hartmann-6 functions of
// mf-prior-bench (Mallik et al., "PriorBand", NeurIPS 2023; the generator in
// mfpbench/synthetic/hartmann), re-implemented from its published formulas.
//
// With fidelity z in [1, z_max] and s = log(z) / log(z_max) in [0, 1]:
//   f(x, z) = -sum_i (alpha_i - bias * (1 - s)) * exp(-sum_j A_ij (x_j - P_ij)^2)
//             + noise * (1 - s) * |e|,   e ~ N(0, 1) drawn per (seed, config, z),
// to be minimised; at z = z_max it is the plain Hartmann function (no bias,
// no noise). The bias flattens the function at low fidelity; the noise is
// positive and shrinks linearly in s. Presets (bias, noise): good (2.5, 2.0),
// moderate (3.0, 3.0), bad (3.5, 4.0), terrible (4.0, 5.0). The cost of one
// evaluation at z is 0.05 + 0.95 * (z / z_max)^2 (mfpbench, after Kandasamy et
// al. 2017). The noise draw is this file's own (a hash of seed, config and z),
// not numpy's, so values match mfpbench's in law, not bit for bit.
#ifndef TUNER_BENCH_MF_HARTMANN_H_
#define TUNER_BENCH_MF_HARTMANN_H_

#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace tuner::bench {

struct MfHartmannPreset {
  std::string name;  // good | moderate | bad | terrible
  double bias;
  double noise;
};

inline const std::vector<MfHartmannPreset>& MfHartmannPresets() {
  static const auto* presets = new std::vector<MfHartmannPreset>{
      {"good", 2.5, 2.0}, {"moderate", 3.0, 3.0}, {"bad", 3.5, 4.0}, {"terrible", 4.0, 5.0}};
  return *presets;
}

inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class MfHartmann {
 public:
  // dims 3 or 6.
  MfHartmann(int dims, double bias, double noise, int z_max = 100)
      : dims_(dims), bias_(bias), noise_(noise), z_max_(z_max) {
    if (dims != 3 && dims != 6) throw std::invalid_argument("MF-Hartmann has 3 or 6 dimensions");
  }

  int dims() const { return dims_; }
  int z_max() const { return z_max_; }
  // The global minimum of the plain Hartmann function.
  double optimum() const { return dims_ == 3 ? -3.86278214782076 : -3.32236801141551; }

  // f(x, z); `noise_key` identifies (seed, config) for the noise draw.
  double operator()(const std::vector<double>& x, int z, uint64_t noise_key) const {
    static constexpr std::array<double, 4> kAlpha = {1.0, 1.2, 3.0, 3.2};
    static constexpr double kA3[4][3] = {{3, 10, 30}, {0.1, 10, 35}, {3, 10, 30}, {0.1, 10, 35}};
    static constexpr double kP3[4][3] = {
        {3689, 1170, 2673}, {4699, 4387, 7470}, {1091, 8732, 5547}, {381, 5743, 8828}};
    static constexpr double kA6[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                         {0.05, 10, 17, 0.1, 8, 14},
                                         {3, 3.5, 1.7, 10, 17, 8},
                                         {17, 8, 0.05, 10, 0.1, 14}};
    static constexpr double kP6[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                         {2329, 4135, 8307, 3736, 1004, 9991},
                                         {2348, 1451, 3522, 2883, 3047, 6650},
                                         {4047, 8828, 8732, 5743, 1091, 381}};
    const double s = std::log(static_cast<double>(z)) / std::log(static_cast<double>(z_max_));
    double h = 0;
    for (int i = 0; i < 4; ++i) {
      double inner = 0;
      for (int j = 0; j < dims_; ++j) {
        const double a = dims_ == 3 ? kA3[i][j] : kA6[i][j];
        const double p = 1e-4 * (dims_ == 3 ? kP3[i][j] : kP6[i][j]);
        inner += a * (x[static_cast<size_t>(j)] - p) * (x[static_cast<size_t>(j)] - p);
      }
      h -= (kAlpha[static_cast<size_t>(i)] - bias_ * (1 - s)) * std::exp(-inner);
    }
    if (z >= z_max_) return h;
    return h + noise_ * (1 - s) * std::fabs(StandardNormal(noise_key, z));
  }

  double Cost(int z) const {
    const double r = static_cast<double>(z) / z_max_;
    return 0.05 + 0.95 * r * r;
  }

 private:
  // A standard normal draw determined by (key, z): Box-Muller on two hashes.
  static double StandardNormal(uint64_t key, int z) {
    const uint64_t h1 = SplitMix64(key ^ SplitMix64(static_cast<uint64_t>(z)));
    const uint64_t h2 = SplitMix64(h1);
    const double u1 = (static_cast<double>(h1 >> 11) + 0.5) * 0x1.0p-53;
    const double u2 = static_cast<double>(h2 >> 11) * 0x1.0p-53;
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }

  int dims_;
  double bias_, noise_;
  int z_max_;
};

}  // namespace tuner::bench

#endif  // TUNER_BENCH_MF_HARTMANN_H_
