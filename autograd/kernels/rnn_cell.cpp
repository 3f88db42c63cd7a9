#include "autograd/kernels/rnn_cell.hpp"

#include "autograd/kernels/activation.hpp"
#include "autograd/kernels/math.hpp"

namespace tapegrad {
namespace kernels {

namespace {

template <class T>
void forward_loop(T* pre, const T* add, const T* bias, const T* c, T* act, T* h_next, T* c_next,
                  T* tanh_c, int64_t batch, int64_t hidden) {
    const int64_t H = hidden;
    for (int64_t b = 0; b < batch; ++b) {
        T* p = pre + b * 4 * H;
        if (add != nullptr) {
            const T* x = add + b * 4 * H;
            for (int64_t j = 0; j < 4 * H; ++j) p[j] += x[j];
        }
        if (bias != nullptr)
            for (int64_t j = 0; j < 4 * H; ++j) p[j] += bias[j];
        T* a = act + b * 4 * H;  // i, f, g, o
        // the vectorised activations over each gate's H values
        sigmoid(p, a, 2 * H);
        tanh(p + 2 * H, a + 2 * H, H);
        sigmoid(p + 3 * H, a + 3 * H, H);
        const T* cb = c + b * H;
        T* cn = c_next + b * H;
        for (int64_t j = 0; j < H; ++j) cn[j] = a[H + j] * cb[j] + a[j] * a[2 * H + j];
        T* tc = tanh_c + b * H;
        tanh(cn, tc, H);
        T* hn = h_next + b * H;
        for (int64_t j = 0; j < H; ++j) hn[j] = a[3 * H + j] * tc[j];
    }
}

// __restrict on every pointer (grad_c is read then written in place, through one pointer), so
// that GCC vectorises the loop without run-time overlap checks
template <class T>
void backward_loop(const T* __restrict grad_h, T* __restrict grad_c, const T* __restrict c,
                   const T* __restrict act, const T* __restrict tanh_c, T* __restrict grad_gates,
                   int64_t batch, int64_t hidden) {
    const int64_t H = hidden;
    for (int64_t b = 0; b < batch; ++b) {
        const T* __restrict gh = grad_h + b * H;
        T* __restrict gc = grad_c + b * H;
        const T* __restrict a = act + b * 4 * H;
        const T* __restrict tcb = tanh_c + b * H;
        const T* __restrict cb = c + b * H;
        T* __restrict gg = grad_gates + b * 4 * H;
        for (int64_t j = 0; j < H; ++j) {
            const T i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j], tc = tcb[j];
            const T dc = gc[j] + gh[j] * o * (T(1) - tc * tc);  // through h' = o * tanh(c')
            gg[j] = dc * g * i * (T(1) - i);
            gg[H + j] = dc * cb[j] * f * (T(1) - f);
            gg[2 * H + j] = dc * i * (T(1) - g * g);
            gg[3 * H + j] = gh[j] * tc * o * (T(1) - o);
            gc[j] = dc * f;
        }
    }
}

}  // namespace

void lstm_cell_forward(float* pre, const float* add, const float* bias, const float* c, float* act,
                       float* h_next, float* c_next, float* tanh_c, int64_t batch, int64_t hidden) {
    forward_loop(pre, add, bias, c, act, h_next, c_next, tanh_c, batch, hidden);
}
void lstm_cell_forward(double* pre, const double* add, const double* bias, const double* c,
                       double* act, double* h_next, double* c_next, double* tanh_c, int64_t batch,
                       int64_t hidden) {
    forward_loop(pre, add, bias, c, act, h_next, c_next, tanh_c, batch, hidden);
}
void lstm_cell_backward(const float* grad_h, float* grad_c, const float* c, const float* act,
                        const float* tanh_c, float* grad_gates, int64_t batch, int64_t hidden) {
    backward_loop(grad_h, grad_c, c, act, tanh_c, grad_gates, batch, hidden);
}
void lstm_cell_backward(const double* grad_h, double* grad_c, const double* c, const double* act,
                        const double* tanh_c, double* grad_gates, int64_t batch, int64_t hidden) {
    backward_loop(grad_h, grad_c, c, act, tanh_c, grad_gates, batch, hidden);
}

}  // namespace kernels
}  // namespace tapegrad
