// The inner loop of k-means, fused as in scikit-learn's Lloyd: the threads take 256-row blocks
// and, per block, make its [256, K] scores with a single-threaded sgemm, pick each row's nearest
// centroid, and add the rows to their clusters' sums while the block is in the core's cache
// (libtorch ops would need sub, max, copies and index_add, each a pass over memory with its own
// temporary). Deterministic: labels are per row, and sums are added per fixed stripe of rows in
// stripe order, so nothing depends on the number of threads.
//
// at::parallel_for is a header template around `#pragma omp parallel`: it is parallel only
// because this addon is compiled with -fopenmp (native/binding.gyp), against libtorch's libgomp.
#include "common.h"

// -O3 for this file: GCC then vectorises the loop that adds rows to their clusters' sums
// (float to double), which -O2 leaves scalar (k-means 60,000 x 128, K = 100: that pass 56 -> 31
// ms of 20 iterations).
#pragma GCC optimize("O3")

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <algorithm>
#include <limits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace selfsup {

static void Check(bool ok, const std::string& what) {
  if (!ok) throw ArgError(what);
}

static void CheckMatrix(const at::Tensor& t, const char* name, at::ScalarType dtype, int64_t rows, int64_t cols) {
  Check(t.dim() == 2 && (rows < 0 || t.size(0) == rows) && (cols < 0 || t.size(1) == cols),
        std::string(name) + " must be " + (rows < 0 ? "N" : std::to_string(rows)) + " x " +
            (cols < 0 ? "D" : std::to_string(cols)) + ", got " + c10::str(t.sizes()));
  Check(t.scalar_type() == dtype, std::string(name) + " must be " + DtypeName(dtype) + ", got " + DtypeName(t.scalar_type()));
  Check(t.is_contiguous() && t.device().is_cpu(), std::string(name) + " must be a contiguous CPU tensor");
}

static void CheckVector(const at::Tensor& t, const char* name, at::ScalarType dtype, int64_t n) {
  Check(t.dim() == 1 && t.size(0) == n, std::string(name) + " must have shape [" + std::to_string(n) + "], got " + c10::str(t.sizes()));
  Check(t.scalar_type() == dtype, std::string(name) + " must be " + DtypeName(dtype) + ", got " + DtypeName(t.scalar_type()));
  Check(t.is_contiguous() && t.device().is_cpu(), std::string(name) + " must be a contiguous CPU tensor");
}

// max over j of row[j] - sub[j], and the first j where it is reached. Scores must be finite (the
// features are checked on loading): with NaN among them the choice is arbitrary, as for torch.max.
static float ArgMaxScalar(const float* row, const float* sub, int64_t k, int64_t* arg) {
  float best = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < k; j++) {
    const float v = row[j] - sub[j];
    if (v > best) {
      best = v;
      *arg = j;
    }
  }
  return best;
}

#if defined(__SSE2__)
// The same with 4-wide SSE2 (every x86-64 CPU has it): the maximum first, then its first index.
static float ArgMax(const float* row, const float* sub, int64_t k, int64_t* arg) {
  int64_t j = 0;
  float best = -std::numeric_limits<float>::infinity();
  if (k >= 8) {
    __m128 m = _mm_sub_ps(_mm_loadu_ps(row), _mm_loadu_ps(sub));
    for (j = 4; j + 4 <= k; j += 4) m = _mm_max_ps(m, _mm_sub_ps(_mm_loadu_ps(row + j), _mm_loadu_ps(sub + j)));
    m = _mm_max_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(1, 0, 3, 2)));
    m = _mm_max_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(2, 3, 0, 1)));
    best = _mm_cvtss_f32(m);
  }
  for (; j < k; j++) best = std::max(best, row[j] - sub[j]);
  for (j = 0; j < k; j++) {
    if (row[j] - sub[j] == best) {
      *arg = j;
      return best;
    }
  }
  return ArgMaxScalar(row, sub, k, arg);  // only reached with NaN scores
}
#else
static float ArgMax(const float* row, const float* sub, int64_t k, int64_t* arg) { return ArgMaxScalar(row, sub, k, arg); }
#endif

#if defined(__x86_64__)
#include <immintrin.h>
// The same 8 wide, for CPUs with AVX2 (chosen at run time; the build targets any x86-64).
__attribute__((target("avx2"))) static float ArgMaxAvx2(const float* row, const float* sub, int64_t k, int64_t* arg) {
  if (k < 16) return ArgMax(row, sub, k, arg);
  __m256 m = _mm256_sub_ps(_mm256_loadu_ps(row), _mm256_loadu_ps(sub));
  int64_t j = 8;
  for (; j + 8 <= k; j += 8) m = _mm256_max_ps(m, _mm256_sub_ps(_mm256_loadu_ps(row + j), _mm256_loadu_ps(sub + j)));
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  h = _mm_max_ps(h, _mm_shuffle_ps(h, h, _MM_SHUFFLE(1, 0, 3, 2)));
  h = _mm_max_ps(h, _mm_shuffle_ps(h, h, _MM_SHUFFLE(2, 3, 0, 1)));
  float best = _mm_cvtss_f32(h);
  for (; j < k; j++) best = std::max(best, row[j] - sub[j]);
  for (j = 0; j < k; j++) {
    if (row[j] - sub[j] == best) {
      *arg = j;
      return best;
    }
  }
  return ArgMaxScalar(row, sub, k, arg);  // only reached with NaN scores
}
static const bool kAvx2 = __builtin_cpu_supports("avx2");
#define ARGMAX(row, sub, k, arg) (kAvx2 ? ArgMaxAvx2(row, sub, k, arg) : ArgMax(row, sub, k, arg))
#else
#define ARGMAX(row, sub, k, arg) ArgMax(row, sub, k, arg)
#endif

// The Fortran BLAS sgemm of the library libtorch was linked with (OpenBLAS on Debian), found at
// run time; without it (e.g. MKL linked into libtorch) the kernel calls at::mm_out.
using SgemmFn = void (*)(const char*, const char*, const int*, const int*, const int*, const float*, const float*, const int*,
                         const float*, const int*, const float*, float*, const int*);
static const SgemmFn kSgemm = reinterpret_cast<SgemmFn>(dlsym(RTLD_DEFAULT, "sgemm_"));

// OpenBLAS's own thread count set to 1 for the scope, then restored: the kernel's threads each
// call sgemm on their own blocks (a threaded sgemm called from two threads at once would share
// OpenBLAS's thread server), as scikit-learn does with threadpoolctl.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas() {
    static const auto get = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    static const auto set = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (get && set && (saved_ = get()) > 1) {
      set_ = set;
      set(1);
    }
  }
  ~SingleThreadedBlas() {
    if (set_) set_(saved_);
  }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  void (*set_)(int) = nullptr;
  int saved_ = 0;
};

// Rows per block (scikit-learn's chunk): a block's [256, K] scores and its rows stay in the
// core's cache between the product and the scan.
constexpr int64_t kBlockRows = kKMeansBlockRows;

// scores [b, k] = x [b, dim] cT [dim, k], row-major, on the calling thread.
static void BlockScores(const at::Tensor& x, const at::Tensor& cT, int64_t r0, int64_t b, float* scores) {
  const int64_t dim = x.size(1), k = cT.size(1);
  if (kSgemm != nullptr && k <= std::numeric_limits<int>::max() && dim <= std::numeric_limits<int>::max()) {
    // Row-major scores = x cT is column-major scores^T = cT^T x^T.
    const int m = int(k), rows = int(b), inner = int(dim);
    const float one = 1.f, zero = 0.f;
    kSgemm("N", "N", &m, &rows, &inner, &one, cT.data_ptr<float>(), &m, x.data_ptr<float>() + r0 * dim, &inner, &zero, scores, &m);
    return;
  }
  at::Tensor out = at::from_blob(scores, {b, k}, x.options());
  at::mm_out(out, x.narrow(0, r0, b), cT);
}

// nearestCentroidsInto(x [B, D] f32, xSq [B] f32 | null, cT [D, K] f32, halfSqNorm [K] f32,
//                      labels [B] i64, sqDist [B] f32, sums [K, D] f64 | null, counts [K] i64 | null)
//   -> sum of sqDist (float64)
// The nearest c maximises x.c - ||c||^2 / 2 (the first such c on ties); its squared distance
// is ||x||^2 - 2 max(...), clamped at 0. labels and sqDist are written in place; with sums and
// counts, each row is also added to its cluster's sum and count (threads split the columns).
OP(nearestCentroidsInto, {
  at::Tensor x = T(info[0]);
  c10::optional<at::Tensor> xSqArg = OptT(info[1]);
  at::Tensor cT = T(info[2]), half = T(info[3]), labels = T(info[4]), sqDist = T(info[5]);
  c10::optional<at::Tensor> sumsArg = OptT(info[6]), countsArg = OptT(info[7]);
  CheckMatrix(x, "x", at::kFloat, -1, -1);
  const int64_t n = x.size(0), dim = x.size(1);
  CheckMatrix(cT, "cT", at::kFloat, dim, -1);
  const int64_t k = cT.size(1);
  Check(k >= 1, "there must be at least one centroid");
  CheckVector(half, "halfSqNorm", at::kFloat, k);
  CheckVector(labels, "labels", at::kLong, n);
  CheckVector(sqDist, "sqDist", at::kFloat, n);
  at::Tensor xSq = xSqArg ? *xSqArg : x.square().sum(1);
  CheckVector(xSq, "xSq", at::kFloat, n);
  Check(sumsArg.has_value() == countsArg.has_value(), "sums and counts must be given together");
  double* sp = nullptr;
  int64_t* cp = nullptr;
  if (sumsArg) {
    CheckMatrix(*sumsArg, "sums", at::kDouble, k, dim);
    CheckVector(*countsArg, "counts", at::kLong, k);
    sp = sumsArg->data_ptr<double>();
    cp = countsArg->data_ptr<int64_t>();
  }
  const float* hp = half.data_ptr<float>();
  const float* xsp = xSq.data_ptr<float>();
  const float* xp = x.data_ptr<float>();
  int64_t* lp = labels.data_ptr<int64_t>();
  float* dp = sqDist.data_ptr<float>();

  const int64_t blocks = (n + kBlockRows - 1) / kBlockRows;
  // The product and the nearest centroid of each row of blocks [b0, b1) (scores: 256 x k), and
  // with `acc` ([k, dim] float64) the rows added to it, all while the block is in cache.
  auto assign = [&](int64_t b0, int64_t b1, float* scores, double* acc) {
    for (int64_t bl = b0; bl < b1; bl++) {
      const int64_t r0 = bl * kBlockRows, b = std::min(kBlockRows, n - r0);
      BlockScores(x, cT, r0, b, scores);
      for (int64_t i = 0; i < b; i++) {
        int64_t arg = 0;
        const float best = ARGMAX(scores + i * k, hp, k, &arg);
        const float d = xsp[r0 + i] - 2 * best;  // NaN rows stay NaN
        lp[r0 + i] = arg;
        dp[r0 + i] = d < 0 ? 0.f : d;
        if (acc == nullptr) continue;
        double* dst = acc + arg * dim;
        const float* src = xp + (r0 + i) * dim;
        for (int64_t j = 0; j < dim; j++) dst[j] += src[j];
      }
    }
  };
  // Sums go to stripes of consecutive blocks, each with its own [k, dim] partial sums, added in
  // stripe order: their number depends on the sizes only (at most 16, each at least 2k rows,
  // 64 MiB of partials in all), so the sums do not depend on the number of threads.
  const int64_t stripes = sp == nullptr ? 0 : std::min({int64_t(16), blocks, n / (2 * k), (int64_t(64) << 20) / (k * dim * 8)});
  std::vector<double> partial(stripes >= 2 ? size_t(stripes * k * dim) : 0, 0.0);
  {
    SingleThreadedBlas single;
    if (stripes >= 2) {
      const int64_t per = (blocks + stripes - 1) / stripes;
      at::parallel_for(0, stripes, 1, [&](int64_t s0, int64_t s1) {
        std::vector<float> scores(size_t(kBlockRows * k));
        for (int64_t st = s0; st < s1; st++) assign(st * per, std::min(blocks, (st + 1) * per), scores.data(), partial.data() + st * k * dim);
      });
    } else {
      at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
        std::vector<float> scores(size_t(kBlockRows * k));
        assign(b0, b1, scores.data(), nullptr);
      });
    }
  }
  double inertia = 0;
  for (int64_t i = 0; i < n; i++) inertia += dp[i];
  if (sp == nullptr) return Napi::Number::New(env, inertia);
  for (int64_t i = 0; i < n; i++) cp[lp[i]]++;
  if (stripes >= 2) {
    at::parallel_for(0, k * dim, 4096, [&](int64_t e0, int64_t e1) {
      for (int64_t st = 0; st < stripes; st++) {
        const double* src = partial.data() + st * k * dim;
        for (int64_t e = e0; e < e1; e++) sp[e] += src[e];
      }
    });
    return Napi::Number::New(env, inertia);
  }
  // Too few rows (or too large k x dim) for stripes: a second pass over the rows, the threads
  // splitting the columns, each adding every row in order.
  at::parallel_for(0, dim, 8, [&](int64_t d0, int64_t d1) {
    for (int64_t i = 0; i < n; i++) {
      double* dst = sp + lp[i] * dim;
      const float* src = xp + i * dim;
      for (int64_t d = d0; d < d1; d++) dst[d] += src[d];
    }
  });
  return Napi::Number::New(env, inertia);
})

// assignedSqDistanceSum(x [N, D] f32, centroids [K, D] f32, labels [N] i64) -> float64
// Sum over rows of ||x_i - c_label(i)||^2 from the differences, in float64, with no temporary
// (the expansion the assignment uses loses digits to cancellation). Rows are summed in fixed
// blocks, then the blocks in order, so the result does not depend on the number of threads.
OP(assignedSqDistanceSum, {
  at::Tensor x = T(info[0]), c = T(info[1]), labels = T(info[2]);
  CheckMatrix(x, "x", at::kFloat, -1, -1);
  const int64_t n = x.size(0), dim = x.size(1);
  CheckMatrix(c, "centroids", at::kFloat, -1, dim);
  const int64_t k = c.size(0);
  CheckVector(labels, "labels", at::kLong, n);
  const float* xp = x.data_ptr<float>();
  const float* cp = c.data_ptr<float>();
  const int64_t* lp = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; i++) {
    Check(lp[i] >= 0 && lp[i] < k, "label " + std::to_string(lp[i]) + " of row " + std::to_string(i) + " is not in [0, " + std::to_string(k) + ")");
  }
  const int64_t block = 1024;
  std::vector<double> partial((n + block - 1) / block, 0.0);
  at::parallel_for(0, int64_t(partial.size()), 1, [&](int64_t b0, int64_t b1) {
    for (int64_t bi = b0; bi < b1; bi++) {
      double total = 0;
      for (int64_t i = bi * block; i < std::min(n, (bi + 1) * block); i++) {
        const float* xr = xp + i * dim;
        const float* cr = cp + lp[i] * dim;
        for (int64_t d = 0; d < dim; d++) {
          const double diff = double(xr[d]) - double(cr[d]);
          total += diff * diff;
        }
      }
      partial[bi] = total;
    }
  });
  double sum = 0;
  for (double v : partial) sum += v;
  return Napi::Number::New(env, sum);
})

void RegisterCluster(Napi::Env env, Napi::Object exports) {
  EXPORT(nearestCentroidsInto);
  EXPORT(assignedSqDistanceSum);
}

}  // namespace selfsup
