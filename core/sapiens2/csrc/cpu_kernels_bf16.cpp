// bf16 CPU kernels for the Sapiens2 backbone on x86 CPUs with AVX512-BF16.
//
// sm_flash_attention_bf16: fused (flash) attention. out = softmax(q k^T * scale) v, per batch and
// head, over all tokens (no mask), with grouped kv heads (q head h reads kv head h / (H / G)). The
// logits, the running max and sum of the online softmax and the output accumulator are float32;
// the probabilities are rounded to bf16 for the p.v product, as torch's own CPU flash kernel does.
// Both products run on VDPBF16PS (pairs of bf16 multiplied and summed into float32 lanes), with the
// keys and values packed once per kv head into the pair layouts that instruction reads.
//
// sm_swiglu_bf16: out = silu(a + bias_a) * (b + bias_b) in float32, rounded once to bf16, for the
// feed-forward's two bias-free matmul results (one pass instead of bias copies, silu and mul).
//
// sm_instance_norm_silu_bf16: the heads' InstanceNorm + SiLU, in place, one rounding (the heads
// run these at up to 64 x 1024 x 768; PyTorch allocates and passes over each result twice).
//
// Built at run time by core/sapiens2/cpu_kernels.py with the system C++ compiler; loaded with
// ctypes (plain C ABI, no torch headers). Only the functions under the target pragma use AVX512,
// so sm_cpu_supported() is safe to call on any x86-64 CPU.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

extern "C" int sm_cpu_supported() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
}

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,fma")
#include <immintrin.h>

namespace {

constexpr int kBlockQ = 64;   // query rows per task
constexpr int kBlockK = 384;  // keys per inner step (a multiple of 48)
constexpr int kMaxDim = 256;

struct Buffer {
  void* ptr = nullptr;
  explicit Buffer(size_t bytes) {
    size_t rounded = (bytes + 63) / 64 * 64;
    ptr = std::aligned_alloc(64, rounded ? rounded : 64);
    if (!ptr) throw std::bad_alloc();
    std::memset(ptr, 0, rounded ? rounded : 64);
  }
  ~Buffer() { std::free(ptr); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
};

inline __m512bh as_bh(__m512i v) { return (__m512bh)v; }

// exp(x) for any float32 x (clamped to [-87, 88]), relative error < 3e-6.
inline __m512 exp_clamped(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187045e-06f), r);
  __m512 p = _mm512_set1_ps(1.0f / 120.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

// exp(x) for softmax arguments (x <= 0): below -87 (and for -inf, the masked keys) exactly 0. The
// probabilities are rounded to bf16 (2^-9) for p.v, far coarser than the polynomial's error.
inline __m512 exp_nonpositive(__m512 x) {
  const __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.0f), _CMP_LT_OQ);
  return _mm512_maskz_mov_ps(static_cast<__mmask16>(~tiny), exp_clamped(x));
}

// The lanes of a 16-wide step with `left` values still to go (all 16 when left >= 16).
inline __mmask16 tail_mask(int64_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1);
}

// Up to 16 bf16 values (mask m) widened to float32; bf16 is the top half of a float32.
inline __m512 load_bf16(const uint16_t* p, __mmask16 m) {
  __m256i raw = _mm256_maskz_loadu_epi16(m, p);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(raw), 16));
}

// C[MR x 16*NV] (+)= A[MR x 2*k] . B on VDPBF16PS. A: MR rows of k bf16 pairs (row stride lda
// uint32); B: for pair j, vector v (16 uint32, each a pair) at b + j * b_step + v * b_vec; C: rows
// of NV float vectors (row stride ldc floats), overwritten (ACC false) or accumulated into.
// q.k^T: B = NV 16-key panels of packed keys; p.v: B = rows of packed value pairs.
template <int MR, int NV, bool ACC>
inline void dp_tile(const uint32_t* a, int lda, const uint32_t* b, int b_step, int b_vec, int k,
                    float* c, int ldc) {
  __m512 acc[MR][NV];
  for (int m = 0; m < MR; ++m)
    for (int v = 0; v < NV; ++v)
      acc[m][v] = ACC ? _mm512_load_ps(c + m * ldc + v * 16) : _mm512_setzero_ps();
  for (int j = 0; j < k; ++j) {
    __m512i bv[NV];
    for (int v = 0; v < NV; ++v)
      bv[v] = _mm512_load_si512(reinterpret_cast<const void*>(b + j * b_step + v * b_vec));
    for (int m = 0; m < MR; ++m) {
      __m512i av = _mm512_set1_epi32(static_cast<int>(a[m * lda + j]));
      for (int v = 0; v < NV; ++v) acc[m][v] = _mm512_dpbf16_ps(acc[m][v], as_bh(av), as_bh(bv[v]));
    }
  }
  for (int m = 0; m < MR; ++m)
    for (int v = 0; v < NV; ++v) _mm512_store_ps(c + m * ldc + v * 16, acc[m][v]);
}

// S[MR x 16*NR] = A . Kp over NR consecutive 16-key panels (panel stride kp_panel uint32).
template <int MR, int NR>
inline void qk_tile(const uint32_t* a, int lda, const uint32_t* kp, int kp_panel, int pairs,
                    float* s, int lds) {
  dp_tile<MR, NR, false>(a, lda, kp, 16, kp_panel, pairs, s, lds);
}

// O[MR x 16*NC] += P . Vp, Vp: [pairs][ldv] uint32 rows (the same channel of two keys).
template <int MR, int NC>
inline void pv_tile(const uint32_t* p, int ldp, const uint32_t* vp, int ldv, int pairs, float* o,
                    int ldo) {
  dp_tile<MR, NC, true>(p, ldp, vp, ldv, 16, pairs, o, ldo);
}

template <int MR>
inline void pv_rows(const uint32_t* p, int ldp, const uint32_t* vp, int ldv, int pairs, float* o,
                    int ldo, int dim_pad) {
  int c = 0;
  for (; c + 64 <= dim_pad; c += 64) pv_tile<MR, 4>(p, ldp, vp + c, ldv, pairs, o + c, ldo);
  switch ((dim_pad - c) / 16) {
    case 3: pv_tile<MR, 3>(p, ldp, vp + c, ldv, pairs, o + c, ldo); break;
    case 2: pv_tile<MR, 2>(p, ldp, vp + c, ldv, pairs, o + c, ldo); break;
    case 1: pv_tile<MR, 1>(p, ldp, vp + c, ldv, pairs, o + c, ldo); break;
    default: break;
  }
}

template <int MR>
inline void qk_rows(const uint32_t* a, int lda, const uint32_t* kp, int kp_panel, int panels,
                    int pairs, float* s, int lds) {
  int r = 0;
  for (; r + 3 <= panels; r += 3)
    qk_tile<MR, 3>(a, lda, kp + r * kp_panel, kp_panel, pairs, s + r * 16, lds);
  switch (panels - r) {
    case 2: qk_tile<MR, 2>(a, lda, kp + r * kp_panel, kp_panel, pairs, s + r * 16, lds); break;
    case 1: qk_tile<MR, 1>(a, lda, kp + r * kp_panel, kp_panel, pairs, s + r * 16, lds); break;
    default: break;
  }
}

struct Problem {
  const uint16_t *q, *k, *v;
  uint16_t* out;
  int64_t batch, tokens, heads, kv_heads, dim;
  int64_t qs[3], ks[3], vs[3];  // strides (elements) of batch, token, head; the channel stride is 1
  float scale;
  int dim_pad = 0, pairs = 0, panels_total = 0, tokens_pad = 0;
  // Packed keys: per (b, g) panels_total panels of [pairs][16] uint32.
  // Packed values: per (b, g) tokens_pad / 2 rows of [dim_pad] uint32.
  uint32_t *kpack = nullptr, *vpack = nullptr;
  size_t kpack_stride = 0, vpack_stride = 0;  // uint32 per (b, g)
};

// Keys: panel t/16, pair c/2, lane t%16, half c%2. Values: pair row t/2, channel c, half t%2.
// The padding (keys and values past the last token, channels past dim) must read as zero.
void pack_kv_scalar(const Problem& pb, const uint16_t* k, const uint16_t* v, uint16_t* kp,
                    uint16_t* vp) {
  std::memset(kp, 0, pb.kpack_stride * 4);
  std::memset(vp, 0, pb.vpack_stride * 4);
  for (int64_t t = 0; t < pb.tokens; ++t) {
    const uint16_t* row = k + t * pb.ks[1];
    uint16_t* panel = kp + (t / 16) * (size_t)pb.pairs * 32 + (t % 16) * 2;
    for (int64_t c = 0; c < pb.dim; ++c) panel[(c / 2) * 32 + (c % 2)] = row[c];
  }
  for (int64_t t = 0; t < pb.tokens; ++t) {
    const uint16_t* row = v + t * pb.vs[1];
    uint16_t* dst = vp + (t / 2) * (size_t)pb.dim_pad * 2 + (t % 2);
    for (int64_t c = 0; c < pb.dim; ++c) dst[c * 2] = row[c];
  }
}

// The same layouts with AVX512 when dim is a multiple of 32 (no channel padding): keys by 16-lane
// gathers (one pair of 16 tokens per instruction), values by interleaving two token rows.
void pack_kv_vector(const Problem& pb, const uint16_t* k, const uint16_t* v, uint32_t* kp,
                    uint32_t* vp) {
  const int64_t n = pb.tokens, full_panels = (n + 15) / 16;
  std::memset(kp + full_panels * pb.pairs * 16, 0,
              (pb.kpack_stride - full_panels * pb.pairs * 16) * 4);
  const __m512i lanes = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                                             11, 12, 13, 14, 15),
                                           _mm512_set1_epi32(static_cast<int>(pb.ks[1])));
  for (int64_t panel = 0; panel < full_panels; ++panel) {
    const int64_t t0 = panel * 16;
    const __mmask16 m = tail_mask(n - t0);
    const uint16_t* base = k + t0 * pb.ks[1];
    uint32_t* dst = kp + panel * pb.pairs * 16;
    for (int p = 0; p < pb.pairs; ++p) {
      __m512i x = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, lanes, base + 2 * p, 2);
      _mm512_store_si512(reinterpret_cast<void*>(dst + p * 16), x);
    }
  }
  const int64_t pair_rows = (n + 1) / 2;
  std::memset(vp + pair_rows * pb.dim_pad, 0, (pb.vpack_stride - pair_rows * pb.dim_pad) * 4);
  const __m512i lo_idx = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
  const __m512i hi_idx = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
  for (int64_t j = 0; j < pair_rows; ++j) {
    const uint16_t* r0 = v + (2 * j) * pb.vs[1];
    const uint16_t* r1 = 2 * j + 1 < n ? v + (2 * j + 1) * pb.vs[1] : nullptr;
    uint32_t* dst = vp + j * pb.dim_pad;
    for (int64_t c = 0; c < pb.dim; c += 32) {
      __m512i a = _mm512_loadu_si512(reinterpret_cast<const void*>(r0 + c));
      __m512i b = r1 ? _mm512_loadu_si512(reinterpret_cast<const void*>(r1 + c))
                     : _mm512_setzero_si512();
      __m512i lo = _mm512_unpacklo_epi16(a, b), hi = _mm512_unpackhi_epi16(a, b);
      _mm512_store_si512(reinterpret_cast<void*>(dst + c),
                         _mm512_permutex2var_epi64(lo, lo_idx, hi));
      _mm512_store_si512(reinterpret_cast<void*>(dst + c + 16),
                         _mm512_permutex2var_epi64(lo, hi_idx, hi));
    }
  }
}

void pack_kv(const Problem& pb, int64_t bg) {
  const int64_t b = bg / pb.kv_heads, g = bg % pb.kv_heads;
  const uint16_t* k = pb.k + b * pb.ks[0] + g * pb.ks[2];
  const uint16_t* v = pb.v + b * pb.vs[0] + g * pb.vs[2];
  uint32_t* kp = pb.kpack + bg * pb.kpack_stride;
  uint32_t* vp = pb.vpack + bg * pb.vpack_stride;
  if (pb.dim % 32 == 0)
    pack_kv_vector(pb, k, v, kp, vp);
  else
    pack_kv_scalar(pb, k, v, reinterpret_cast<uint16_t*>(kp), reinterpret_cast<uint16_t*>(vp));
}

// Packed keys and values outlive one call: each calling thread keeps its buffer (tens of MB for
// a 0.4b layer) instead of mapping and faulting in fresh pages for every layer.
struct PackArena {
  void* ptr = nullptr;
  size_t bytes = 0;
  void* get(size_t want) {
    if (want > bytes) {
      std::free(ptr);
      bytes = 0;
      ptr = std::aligned_alloc(64, (want + 63) / 64 * 64);
      if (!ptr) throw std::bad_alloc();
      bytes = want;
    }
    return ptr;
  }
  ~PackArena() { std::free(ptr); }
};

struct Scratch {
  Buffer qbuf, sbuf, pbuf, obuf;
  explicit Scratch(int dim_pad)
      : qbuf((size_t)kBlockQ * dim_pad * 2),
        sbuf((size_t)kBlockQ * kBlockK * 4),
        pbuf((size_t)kBlockQ * kBlockK * 2),
        obuf((size_t)kBlockQ * dim_pad * 4) {}
};

void attend_block(const Problem& pb, int64_t task, Scratch& sc) {
  const int64_t qblocks = (pb.tokens + kBlockQ - 1) / kBlockQ;
  const int64_t bh = task / qblocks, i0 = (task % qblocks) * kBlockQ;
  const int64_t b = bh / pb.heads, h = bh % pb.heads;
  const int64_t g = h / (pb.heads / pb.kv_heads);
  const int rows = static_cast<int>(std::min<int64_t>(kBlockQ, pb.tokens - i0));
  const int dp = pb.dim_pad, pairs = pb.pairs;

  uint16_t* qb = static_cast<uint16_t*>(sc.qbuf.ptr);
  std::memset(qb, 0, (size_t)kBlockQ * dp * 2);
  for (int i = 0; i < rows; ++i) {
    const uint16_t* src = pb.q + b * pb.qs[0] + (i0 + i) * pb.qs[1] + h * pb.qs[2];
    std::memcpy(qb + (size_t)i * dp, src, pb.dim * 2);
  }
  float* s = static_cast<float*>(sc.sbuf.ptr);
  uint16_t* pbf = static_cast<uint16_t*>(sc.pbuf.ptr);
  float* o = static_cast<float*>(sc.obuf.ptr);
  std::memset(o, 0, (size_t)kBlockQ * dp * 4);
  float row_max[kBlockQ], row_sum[kBlockQ];
  for (int i = 0; i < kBlockQ; ++i) row_max[i] = -INFINITY, row_sum[i] = 0.0f;

  const int64_t bg = b * pb.kv_heads + g;
  const uint32_t* kp_all = pb.kpack + bg * pb.kpack_stride;
  const uint32_t* vp_all = pb.vpack + bg * pb.vpack_stride;
  const uint32_t* a = reinterpret_cast<const uint32_t*>(qb);
  const __m512 scale = _mm512_set1_ps(pb.scale);
  const int kp_panel = pairs * 16;
  const int mr_rows = (rows + 7) / 8 * 8;  // q rows computed (zero rows past the end are harmless)

  for (int64_t j0 = 0; j0 < pb.tokens; j0 += kBlockK) {
    const int keys = static_cast<int>(std::min<int64_t>(kBlockK, pb.tokens - j0));
    const int panels = (keys + 15) / 16;
    const int width = panels * 16;
    const uint32_t* kp = kp_all + (j0 / 16) * kp_panel;
    for (int m = 0; m < mr_rows; m += 8)
      qk_rows<8>(a + m * (dp / 2), dp / 2, kp, kp_panel, panels, pairs, s + m * kBlockK, kBlockK);

    const __mmask16 tail = keys % 16 ? static_cast<__mmask16>((1u << (keys % 16)) - 1) : 0xFFFF;
    for (int i = 0; i < mr_rows; ++i) {
      float* srow = s + i * kBlockK;
      __m512 vmax = _mm512_set1_ps(-INFINITY);
      for (int c = 0; c < width; c += 16) {
        __m512 x = _mm512_load_ps(srow + c);
        if (c + 16 > keys) {  // the last panel of the last block: keys past the end get -inf
          x = _mm512_mask_mov_ps(_mm512_set1_ps(-INFINITY), tail, x);
          _mm512_store_ps(srow + c, x);
        }
        vmax = _mm512_max_ps(vmax, x);
      }
      const float m_new = std::max(row_max[i], _mm512_reduce_max_ps(vmax) * pb.scale);
      const float alpha = row_max[i] == -INFINITY ? 0.0f : std::exp(row_max[i] - m_new);
      row_max[i] = m_new;
      const __m512 shift = _mm512_set1_ps(m_new);
      __m512 vsum = _mm512_setzero_ps();
      uint16_t* prow = pbf + i * kBlockK;
      for (int c = 0; c < width; c += 32) {
        __m512 e0 = exp_nonpositive(_mm512_fmsub_ps(_mm512_load_ps(srow + c), scale, shift));
        __m512 e1 = c + 16 < width
                        ? exp_nonpositive(_mm512_fmsub_ps(_mm512_load_ps(srow + c + 16), scale, shift))
                        : _mm512_setzero_ps();
        vsum = _mm512_add_ps(vsum, _mm512_add_ps(e0, e1));
        __m512bh packed = _mm512_cvtne2ps_pbh(e1, e0);
        _mm512_store_si512(reinterpret_cast<void*>(prow + c), (__m512i)packed);
      }
      row_sum[i] = row_sum[i] * alpha + _mm512_reduce_add_ps(vsum);
      if (alpha != 1.0f) {
        float* orow = o + i * dp;
        const __m512 va = _mm512_set1_ps(alpha);
        for (int c = 0; c < dp; c += 16)
          _mm512_store_ps(orow + c, _mm512_mul_ps(_mm512_load_ps(orow + c), va));
      }
    }
    // p.v over the pairs of this block (the last block's padding has p = 0 and zero values).
    const int kpairs = (width + 31) / 32 * 16;
    const uint32_t* p32 = reinterpret_cast<const uint32_t*>(pbf);
    const uint32_t* vp = vp_all + (j0 / 2) * dp;
    int m = 0;
    for (; m + 6 <= mr_rows; m += 6)
      pv_rows<6>(p32 + m * (kBlockK / 2), kBlockK / 2, vp, dp, kpairs, o + m * dp, dp, dp);
    switch (mr_rows - m) {
      case 5: pv_rows<5>(p32 + m * (kBlockK / 2), kBlockK / 2, vp, dp, kpairs, o + m * dp, dp, dp); break;
      case 4: pv_rows<4>(p32 + m * (kBlockK / 2), kBlockK / 2, vp, dp, kpairs, o + m * dp, dp, dp); break;
      case 3: pv_rows<3>(p32 + m * (kBlockK / 2), kBlockK / 2, vp, dp, kpairs, o + m * dp, dp, dp); break;
      case 2: pv_rows<2>(p32 + m * (kBlockK / 2), kBlockK / 2, vp, dp, kpairs, o + m * dp, dp, dp); break;
      case 1: pv_rows<1>(p32 + m * (kBlockK / 2), kBlockK / 2, vp, dp, kpairs, o + m * dp, dp, dp); break;
      default: break;
    }
  }

  for (int i = 0; i < rows; ++i) {
    uint16_t* dst = pb.out + ((b * pb.tokens + i0 + i) * pb.heads + h) * pb.dim;
    const float* orow = o + i * dp;
    const __m512 inv = _mm512_set1_ps(1.0f / row_sum[i]);
    alignas(64) uint16_t tmp[kMaxDim];
    for (int c = 0; c < dp; c += 16) {
      __m256bh y = _mm512_cvtneps_pbh(_mm512_mul_ps(_mm512_load_ps(orow + c), inv));
      _mm256_store_si256(reinterpret_cast<__m256i*>(tmp + c), (__m256i)y);
    }
    std::memcpy(dst, tmp, pb.dim * 2);
  }
}

template <class F>
void parallel_for(int64_t n, int threads, F&& body) {
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  auto worker = [&]() {
    try {
      body([&]() { return next.fetch_add(1); }, n);
    } catch (...) {
      failed = true;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (failed) throw std::bad_alloc();
}

void swiglu_rows(const uint16_t* a, int64_t lda, const uint16_t* b, int64_t ldb,
                 const uint16_t* bias_a, const uint16_t* bias_b, uint16_t* out, int64_t ldo,
                 int64_t cols, int64_t r0, int64_t r1) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t i = r0; i < r1; ++i) {
    for (int64_t c = 0; c < cols; c += 16) {
      const __mmask16 m =
          tail_mask(cols - c);
      __m512 x = load_bf16(a + i * lda + c, m);
      __m512 y = load_bf16(b + i * ldb + c, m);
      if (bias_a) x = _mm512_add_ps(x, load_bf16(bias_a + c, m));
      if (bias_b) y = _mm512_add_ps(y, load_bf16(bias_b + c, m));
      __m512 gate = _mm512_div_ps(x, _mm512_add_ps(one, exp_clamped(_mm512_sub_ps(_mm512_setzero_ps(), x))));
      __m256bh h = _mm512_cvtneps_pbh(_mm512_mul_ps(gate, y));
      _mm256_mask_storeu_epi16(out + i * ldo + c, m, (__m256i)h);
    }
  }
}

// One (H*W) plane in place: x = bf16(silu((x - mean) * rsqrt(var + eps))), biased variance, the
// statistics in two float passes (float lanes per 4096-element chunk, chunks summed in double).
void instance_norm_silu_plane(uint16_t* x, int64_t n, float eps) {
  double total = 0.0;
  for (int64_t c0 = 0; c0 < n; c0 += 4096) {
    const int64_t c1 = std::min(n, c0 + 4096);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t c = c0; c < c1; c += 16) {
      const __mmask16 m = tail_mask(c1 - c);
      acc = _mm512_add_ps(acc, load_bf16(x + c, m));
    }
    total += _mm512_reduce_add_ps(acc);
  }
  const float mean = static_cast<float>(total / static_cast<double>(n));
  const __m512 vmean = _mm512_set1_ps(mean);
  double squares = 0.0;
  for (int64_t c0 = 0; c0 < n; c0 += 4096) {
    const int64_t c1 = std::min(n, c0 + 4096);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t c = c0; c < c1; c += 16) {
      const __mmask16 m = tail_mask(c1 - c);
      __m512 d = _mm512_maskz_sub_ps(m, load_bf16(x + c, m), vmean);
      acc = _mm512_fmadd_ps(d, d, acc);
    }
    squares += _mm512_reduce_add_ps(acc);
  }
  const float rstd =
      static_cast<float>(1.0 / std::sqrt(squares / static_cast<double>(n) + static_cast<double>(eps)));
  const __m512 vrstd = _mm512_set1_ps(rstd), one = _mm512_set1_ps(1.0f);
  for (int64_t c = 0; c < n; c += 16) {
    const __mmask16 m = tail_mask(n - c);
    __m512 y = _mm512_mul_ps(_mm512_sub_ps(load_bf16(x + c, m), vmean), vrstd);
    __m512 act = _mm512_div_ps(y, _mm512_add_ps(one, exp_clamped(_mm512_sub_ps(_mm512_setzero_ps(), y))));
    _mm256_mask_storeu_epi16(x + c, m, (__m256i)_mm512_cvtneps_pbh(act));
  }
}

// Channels-last InstanceNorm + SiLU for one image: x is (pixels, channels), channels % 16 == 0.
// Statistics per channel in one pass, shifted by the first pixel's value (so the variance does not
// cancel), float lanes per 256-pixel chunk summed in double; then one pass to normalise in place.
void instance_norm_silu_nhwc_image(uint16_t* x, int64_t pixels, int64_t channels, float eps,
                                   int threads) {
  const int64_t chunk = 256, chunks = (pixels + chunk - 1) / chunk;
  const int nthreads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, chunks)));
  std::vector<float> shift(channels);
  for (int64_t c = 0; c < channels; ++c) {
    uint32_t bits = static_cast<uint32_t>(x[c]) << 16;
    std::memcpy(&shift[c], &bits, 4);
  }
  std::vector<double> sums(static_cast<size_t>(nthreads) * channels * 2, 0.0);
  auto stats = [&](int t) {
    double* sum = sums.data() + static_cast<size_t>(t) * channels * 2;
    double* sq = sum + channels;
    const int64_t c0 = chunks * t / nthreads, c1 = chunks * (t + 1) / nthreads;
    for (int64_t ch = c0; ch < c1; ++ch) {
      const int64_t p0 = ch * chunk, p1 = std::min(pixels, p0 + chunk);
      for (int64_t c = 0; c < channels; c += 16) {
        const __m512 s = _mm512_loadu_ps(shift.data() + c);
        __m512 a = _mm512_setzero_ps(), b = _mm512_setzero_ps();
        for (int64_t p = p0; p < p1; ++p) {
          __m512 d = _mm512_sub_ps(load_bf16(x + p * channels + c, 0xFFFF), s);
          a = _mm512_add_ps(a, d);
          b = _mm512_fmadd_ps(d, d, b);
        }
        alignas(64) float fa[16], fb[16];
        _mm512_store_ps(fa, a);
        _mm512_store_ps(fb, b);
        for (int i = 0; i < 16; ++i) sum[c + i] += fa[i], sq[c + i] += fb[i];
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < nthreads; ++t) pool.emplace_back(stats, t);
  stats(0);
  for (auto& th : pool) th.join();
  pool.clear();
  std::vector<float> mean(channels), rstd(channels);
  for (int64_t c = 0; c < channels; ++c) {
    double s = 0.0, q = 0.0;
    for (int t = 0; t < nthreads; ++t) {
      s += sums[static_cast<size_t>(t) * channels * 2 + c];
      q += sums[static_cast<size_t>(t) * channels * 2 + channels + c];
    }
    const double m = s / static_cast<double>(pixels);
    const double var = std::max(0.0, q / static_cast<double>(pixels) - m * m);
    mean[c] = static_cast<float>(shift[c] + m);
    rstd[c] = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
  }
  auto apply = [&](int t) {
    const int64_t p0 = pixels * t / nthreads, p1 = pixels * (t + 1) / nthreads;
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int64_t p = p0; p < p1; ++p) {
      for (int64_t c = 0; c < channels; c += 16) {
        uint16_t* px = x + p * channels + c;
        __m512 y = _mm512_mul_ps(_mm512_sub_ps(load_bf16(px, 0xFFFF), _mm512_loadu_ps(mean.data() + c)),
                                 _mm512_loadu_ps(rstd.data() + c));
        __m512 act =
            _mm512_div_ps(y, _mm512_add_ps(one, exp_clamped(_mm512_sub_ps(_mm512_setzero_ps(), y))));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(px), (__m256i)_mm512_cvtneps_pbh(act));
      }
    }
  };
  for (int t = 1; t < nthreads; ++t) pool.emplace_back(apply, t);
  apply(0);
  for (auto& th : pool) th.join();
}

inline __m512 round_bf16(__m512 v) {  // float32 -> nearest bf16 (ties to even) -> float32
  __m256bh h = _mm512_cvtneps_pbh(v);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32((__m256i)h), 16));
}

// One head vector of d (<= 256, % 16 == 0) values: RMSNorm (float32, one rounding), then the bf16
// RoPE of rope.py: bf16(bf16(y * cos) + bf16(swap_halves(y) * sin_signed)).
void rmsnorm_rope_vector(const uint16_t* x, const uint16_t* weight, float eps, const uint16_t* sn,
                         const uint16_t* cs, uint16_t* out, int d) {
  alignas(64) float y[kMaxDim];
  __m512 sq = _mm512_setzero_ps();
  for (int c = 0; c < d; c += 16) {
    __m512 v = load_bf16(x + c, 0xFFFF);
    sq = _mm512_fmadd_ps(v, v, sq);
    _mm512_store_ps(y + c, v);
  }
  if (weight) {
    const float rstd = 1.0f / std::sqrt(_mm512_reduce_add_ps(sq) / static_cast<float>(d) + eps);
    const __m512 r = _mm512_set1_ps(rstd);
    for (int c = 0; c < d; c += 16)
      _mm512_store_ps(y + c, round_bf16(_mm512_mul_ps(_mm512_mul_ps(_mm512_load_ps(y + c), r),
                                                      load_bf16(weight + c, 0xFFFF))));
  }
  const int half = d / 2;
  for (int c = 0; c < d; c += 16) {
    const int sw = c < half ? c + half : c - half;
    // swap_halves needs d/2 % 16 == 0 for whole vectors; callers guarantee d % 32 == 0.
    __m512 a = round_bf16(_mm512_mul_ps(_mm512_load_ps(y + c), load_bf16(cs + c, 0xFFFF)));
    __m512 b = round_bf16(_mm512_mul_ps(_mm512_load_ps(y + sw), load_bf16(sn + c, 0xFFFF)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + c),
                        (__m256i)_mm512_cvtneps_pbh(_mm512_add_ps(a, b)));
  }
}

// One row of d values: out = bf16(x * rsqrt(mean(x^2) + eps) * weight), float32 throughout.
void rmsnorm_row(const uint16_t* x, const uint16_t* weight, float eps, uint16_t* out, int64_t d) {
  __m512 sq = _mm512_setzero_ps();
  for (int64_t c = 0; c < d; c += 16) {
    const __mmask16 m = tail_mask(d - c);
    __m512 v = load_bf16(x + c, m);
    sq = _mm512_fmadd_ps(v, v, sq);
  }
  const __m512 r =
      _mm512_set1_ps(1.0f / std::sqrt(_mm512_reduce_add_ps(sq) / static_cast<float>(d) + eps));
  for (int64_t c = 0; c < d; c += 16) {
    const __mmask16 m = tail_mask(d - c);
    __m512 y = _mm512_mul_ps(load_bf16(x + c, m), r);
    if (weight) y = _mm512_mul_ps(y, load_bf16(weight + c, m));
    _mm256_mask_storeu_epi16(out + c, m, (__m256i)_mm512_cvtneps_pbh(y));
  }
}

}  // namespace

// Returns 0 on success, 1 on arguments out of range, 2 when memory ran out.
// q: (B, N, H, D) with strides qs = (batch, token, head) in elements, channel stride 1;
// k, v: (B, N, G, D) likewise; out: contiguous (B, N, H, D).
extern "C" int sm_flash_attention_bf16(const uint16_t* q, const uint16_t* k, const uint16_t* v,
                                       uint16_t* out, int64_t batch, int64_t tokens, int64_t heads,
                                       int64_t kv_heads, int64_t dim, const int64_t* qs,
                                       const int64_t* ks, const int64_t* vs, float scale,
                                       int threads) {
  if (batch < 1 || tokens < 1 || heads < 1 || kv_heads < 1 || heads % kv_heads || dim < 1 ||
      dim > kMaxDim || threads < 1)
    return 1;
  try {
    Problem pb{q, k, v, out, batch, tokens, heads, kv_heads, dim, {}, {}, {}, scale};
    for (int i = 0; i < 3; ++i) pb.qs[i] = qs[i], pb.ks[i] = ks[i], pb.vs[i] = vs[i];
    pb.dim_pad = static_cast<int>((dim + 15) / 16 * 16);
    pb.pairs = pb.dim_pad / 2;
    pb.panels_total = static_cast<int>((tokens + kBlockK - 1) / kBlockK * (kBlockK / 16));
    pb.tokens_pad = pb.panels_total * 16;
    pb.kpack_stride = (size_t)pb.panels_total * pb.pairs * 16;
    pb.vpack_stride = (size_t)(pb.tokens_pad / 2) * pb.dim_pad;
    const int64_t groups = batch * kv_heads;
    static thread_local PackArena arena;
    const size_t kbytes = groups * pb.kpack_stride * 4, vbytes = groups * pb.vpack_stride * 4;
    pb.kpack = static_cast<uint32_t*>(arena.get(kbytes + vbytes));
    pb.vpack = pb.kpack + kbytes / 4;

    parallel_for(groups, threads, [&](auto next, int64_t n) {
      for (int64_t i = next(); i < n; i = next()) pack_kv(pb, i);
    });
    const int64_t tasks = batch * heads * ((tokens + kBlockQ - 1) / kBlockQ);
    parallel_for(tasks, threads, [&](auto next, int64_t n) {
      Scratch sc(pb.dim_pad);
      for (int64_t i = next(); i < n; i = next()) attend_block(pb, i, sc);
    });
  } catch (const std::bad_alloc&) {
    return 2;
  }
  return 0;
}

// out[i, c] = bf16(silu(a[i, c] + bias_a[c]) * (b[i, c] + bias_b[c])); rows with strides lda, ldb,
// ldo (elements); either bias may be null. out may alias a or b (each element is read before it is
// written, by the same thread). Returns 0, or 1 on arguments out of range.
extern "C" int sm_swiglu_bf16(const uint16_t* a, int64_t lda, const uint16_t* b, int64_t ldb,
                              const uint16_t* bias_a, const uint16_t* bias_b, uint16_t* out,
                              int64_t ldo, int64_t rows, int64_t cols, int threads) {
  if (rows < 0 || cols < 0 || threads < 1) return 1;
  if (rows == 0 || cols == 0) return 0;
  const int64_t chunk = 16;
  const int64_t chunks = (rows + chunk - 1) / chunk;
  try {
    parallel_for(chunks, threads, [&](auto next, int64_t n) {
      for (int64_t t = next(); t < n; t = next())
        swiglu_rows(a, lda, b, ldb, bias_a, bias_b, out, ldo, cols, t * chunk,
                    std::min(rows, (t + 1) * chunk));
    });
  } catch (const std::bad_alloc&) {
    return 2;
  }
  return 0;
}

// InstanceNorm (no affine) followed by SiLU, in place, over `planes` contiguous planes of `plane`
// bf16 values. Returns 0, or 1 on arguments out of range.
extern "C" int sm_instance_norm_silu_bf16(uint16_t* x, int64_t planes, int64_t plane, float eps,
                                          int threads) {
  if (planes < 0 || plane < 1 || threads < 1 || !(eps >= 0.0f)) return 1;
  try {
    parallel_for(planes, threads, [&](auto next, int64_t n) {
      for (int64_t p = next(); p < n; p = next()) instance_norm_silu_plane(x + p * plane, plane, eps);
    });
  } catch (const std::bad_alloc&) {
    return 2;
  }
  return 0;
}

// The same for channels-last images: x is (batch, pixels, channels) contiguous, channels a
// multiple of 16. Returns 0, 1 on arguments out of range, 2 when memory ran out.
extern "C" int sm_instance_norm_silu_nhwc_bf16(uint16_t* x, int64_t batch, int64_t pixels,
                                               int64_t channels, float eps, int threads) {
  if (batch < 0 || pixels < 1 || channels < 16 || channels % 16 || threads < 1 || !(eps >= 0.0f))
    return 1;
  try {
    for (int64_t b = 0; b < batch; ++b)
      instance_norm_silu_nhwc_image(x + b * pixels * channels, pixels, channels, eps, threads);
  } catch (const std::exception&) {
    return 2;
  }
  return 0;
}

// q or k: x (B, N, H, d) with strides xs = (batch, token, head), channel stride 1 -> out contiguous
// (B, N, H, d): RMSNorm with `weight` (d; null for none) then RoPE with per-token tables sin_signed
// and cos (N, d) contiguous bf16 (rope.token_tables). d % 32 == 0 and d <= 256.
// Returns 0, or 1 on arguments out of range.
extern "C" int sm_rmsnorm_rope_bf16(const uint16_t* x, const int64_t* xs, int64_t batch,
                                    int64_t tokens, int64_t heads, int64_t dim,
                                    const uint16_t* weight, float eps, const uint16_t* sin_signed,
                                    const uint16_t* cos, uint16_t* out, int threads) {
  if (batch < 0 || tokens < 0 || heads < 1 || dim < 32 || dim % 32 || dim > kMaxDim ||
      threads < 1 || !(eps >= 0.0f))
    return 1;
  try {
    parallel_for(batch * tokens, threads, [&](auto next, int64_t n) {
      for (int64_t bt = next(); bt < n; bt = next()) {
        const int64_t b = bt / tokens, t = bt % tokens;
        for (int64_t h = 0; h < heads; ++h)
          rmsnorm_rope_vector(x + b * xs[0] + t * xs[1] + h * xs[2], weight, eps,
                              sin_signed + t * dim, cos + t * dim,
                              out + (bt * heads + h) * dim, static_cast<int>(dim));
      }
    });
  } catch (const std::exception&) {
    return 2;
  }
  return 0;
}

// RMSNorm over the last dim: x rows (row stride ldx elements, channel stride 1) -> out contiguous
// rows of d; weight (d) or null. Returns 0, or 1 on arguments out of range.
extern "C" int sm_rmsnorm_bf16(const uint16_t* x, int64_t ldx, int64_t rows, int64_t d,
                               const uint16_t* weight, float eps, uint16_t* out, int threads) {
  if (rows < 0 || d < 1 || ldx < d || threads < 1 || !(eps >= 0.0f)) return 1;
  const int64_t chunk = 64, chunks = (rows + chunk - 1) / chunk;
  try {
    parallel_for(chunks, threads, [&](auto next, int64_t n) {
      for (int64_t t = next(); t < n; t = next())
        for (int64_t r = t * chunk; r < std::min(rows, (t + 1) * chunk); ++r)
          rmsnorm_row(x + r * ldx, weight, eps, out + r * d, d);
    });
  } catch (const std::exception&) {
    return 2;
  }
  return 0;
}

#pragma GCC pop_options
