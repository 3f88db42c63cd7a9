#include "autograd/kernels/activation.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "autograd/kernels/clones.hpp"
#include "autograd/parallel.hpp"

namespace tapegrad {
namespace kernels {

namespace {
// The constants of the tanh loop, per type. The magic number 1.5 * 2^mantissa_bits rounds a
// float to an integer when added (and leaves that integer in its low bits); ln2_hi keeps few
// enough bits that n * ln2_hi is exact for the n that occur (n <= 58).
template <class T>
struct TanhTraits;
template <>
struct TanhTraits<float> {
    using Bits = uint32_t;
    static constexpr int mantissa_bits = 23;
    static constexpr Bits exponent_bias = 127;
    static constexpr float magic = 12582912.0f;          // 1.5 * 2^23
    static constexpr float ln2_hi = 0.693145751953125f;  // ln 2 to 16 bits
    static constexpr float ln2_lo = 1.4286068203094172321e-6f;
    static constexpr int degree = 8;  // Taylor terms of expm1: r^9/9! < 3e-10 for |r| <= ln2/2
};
template <>
struct TanhTraits<double> {
    using Bits = uint64_t;
    static constexpr int mantissa_bits = 52;
    static constexpr Bits exponent_bias = 1023;
    static constexpr double magic = 6755399441055744.0;                          // 1.5 * 2^52
    static constexpr double ln2_hi = 0.693147180560117703862488269805908203125;  // 40 bits
    static constexpr double ln2_lo = -1.723944452561483477316350495e-13;
    static constexpr int degree = 14;  // r^15/15! < 2e-20 for |r| <= ln2/2
};

// 1/j! for j = 0..14, rounded once to double.
struct InvFactorials {
    double v[15];
    constexpr InvFactorials() : v{} {
        double f = 1;
        for (int j = 0; j < 15; ++j) {
            if (j > 0) f *= j;
            v[j] = 1 / f;
        }
    }
    constexpr double operator[](int j) const { return v[j]; }
};
constexpr InvFactorials kInvFactorial;

template <class To, class From>
To bit_cast(From v) {
    To out;
    std::memcpy(&out, &v, sizeof out);
    return out;
}

}  // namespace

// tanh(x) = sign(x) * e / (e + 2) with e = expm1(2|x|). expm1(t) = 2^n (1 + q) - 1 with
// t = n ln2 + r, |r| <= ln2/2 and q = expm1(r) from its Taylor series; written as
// 2^n q + (2^n - 1) it keeps full relative precision for small t (n = 0: e = q, no
// cancellation), which 1 - 2 / (exp(2|x|) + 1) loses near 0. No branches and no calls, so GCC
// vectorises the loop. |x| is clamped at 20, where tanh is 1 to double precision.
template <class T>
TAPEGRAD_VECTOR_LOOP void tanh(const T* __restrict x, T* __restrict y, int64_t n) {
    using Tr = TanhTraits<T>;
    using Bits = typename Tr::Bits;
    constexpr T log2e = T(1.44269504088896340736);
    const Bits magic_bits = bit_cast<Bits>(Tr::magic);
    for (int64_t i = 0; i < n; ++i) {
        const T xi = x[i];
        T a = std::fabs(xi);
        a = a < T(20) ? a : T(20);
        const T t = a + a;
        const T v = t * log2e + Tr::magic;
        const T k = v - Tr::magic;  // round(t / ln2)
        const T r = (t - k * Tr::ln2_hi) - k * Tr::ln2_lo;
        // q = r/1! + r^2/2! + ... + r^d/d!, by Horner
        T p = T(kInvFactorial[Tr::degree]);
#pragma GCC unroll 16
        for (int j = Tr::degree - 1; j >= 1; --j) p = p * r + T(kInvFactorial[j]);
        const T q = p * r;
        // 2^k from its bits: the integer k sits in the low bits of v
        const Bits scale_bits = (bit_cast<Bits>(v) - magic_bits + Tr::exponent_bias)
                                << Tr::mantissa_bits;
        const T scale = bit_cast<T>(scale_bits);
        const T e = scale * q + (scale - T(1));
        const T th = e / (e + T(2));
        const T signed_th = std::copysign(th, xi);
        y[i] = xi != xi ? xi : signed_th;  // NaN stays NaN (the clamp would give 1)
    }
}

namespace {
// out[b, e) = the backward product at each i, on the pool's threads above kGrainSize elements.
template <class T, class Product>
void backward_loop(const T* __restrict g, const T* __restrict y, T* __restrict out, int64_t n,
                   Product product) {
    detail::parallel_for_blocks(n, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) out[i] = product(g[i], y[i]);
    });
}
}  // namespace

// The backward products, in the order the composed ops compute them (same results).
template <class T>
void tanh_backward(const T* g, const T* y, T* out, int64_t n) {
    backward_loop(g, y, out, n, [](T gi, T yi) { return gi * (T(1) - yi * yi); });
}
template <class T>
void sigmoid_backward(const T* g, const T* y, T* out, int64_t n) {
    backward_loop(g, y, out, n, [](T gi, T yi) { return gi * yi * (T(1) - yi); });
}
template <class T>
void relu_backward(const T* g, const T* y, T* out, int64_t n) {
    backward_loop(g, y, out, n, [](T gi, T yi) { return gi * (yi > T(0) ? T(1) : T(0)); });
}

// The instances the header promises: float and double.
template void tanh(const float*, float*, int64_t);
template void tanh(const double*, double*, int64_t);
template void tanh_backward(const float*, const float*, float*, int64_t);
template void tanh_backward(const double*, const double*, double*, int64_t);
template void sigmoid_backward(const float*, const float*, float*, int64_t);
template void sigmoid_backward(const double*, const double*, double*, int64_t);
template void relu_backward(const float*, const float*, float*, int64_t);
template void relu_backward(const double*, const double*, double*, int64_t);

}  // namespace kernels
}  // namespace tapegrad
