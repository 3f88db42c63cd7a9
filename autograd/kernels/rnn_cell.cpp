#include "autograd/kernels/rnn_cell.hpp"

#include "autograd/kernels/activation.hpp"
#include "autograd/kernels/math.hpp"

namespace tapegrad {
namespace kernels {

namespace {

template <class T>
void forward_loop(const T* gates, const T* c, T* hc, T* act, int64_t batch, int64_t hidden) {
    const int64_t H = hidden;
    T* h_next = hc;
    T* c_next = hc + batch * H;
    for (int64_t b = 0; b < batch; ++b) {
        const T* g = gates + b * 4 * H;
        T* a = act + b * 5 * H;  // i, f, g, o, tanh(c')
        // the vectorised activations over each gate's H values
        sigmoid(g, a, 2 * H);
        tanh(g + 2 * H, a + 2 * H, H);
        sigmoid(g + 3 * H, a + 3 * H, H);
        const T* cb = c + b * H;
        T* cn = c_next + b * H;
        for (int64_t j = 0; j < H; ++j) cn[j] = a[H + j] * cb[j] + a[j] * a[2 * H + j];
        tanh(cn, a + 4 * H, H);
        T* hn = h_next + b * H;
        for (int64_t j = 0; j < H; ++j) hn[j] = a[3 * H + j] * a[4 * H + j];
    }
}

template <class T>
void backward_loop(const T* grad_hc, const T* c, const T* act, T* grad_gates, T* grad_c,
                   int64_t batch, int64_t hidden) {
    const int64_t H = hidden;
    for (int64_t b = 0; b < batch; ++b) {
        const T* gh = grad_hc + b * H;
        const T* gc = grad_hc + (batch + b) * H;
        const T* a = act + b * 5 * H;
        const T* cb = c + b * H;
        T* gg = grad_gates + b * 4 * H;
        T* gcb = grad_c + b * H;
        for (int64_t j = 0; j < H; ++j) {
            const T i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j], tc = a[4 * H + j];
            const T dc = gc[j] + gh[j] * o * (T(1) - tc * tc);  // through h' = o * tanh(c')
            gg[j] = dc * g * i * (T(1) - i);
            gg[H + j] = dc * cb[j] * f * (T(1) - f);
            gg[2 * H + j] = dc * i * (T(1) - g * g);
            gg[3 * H + j] = gh[j] * tc * o * (T(1) - o);
            gcb[j] = dc * f;
        }
    }
}

}  // namespace

void lstm_cell_forward(const float* gates, const float* c, float* hc, float* act, int64_t batch,
                       int64_t hidden) {
    forward_loop(gates, c, hc, act, batch, hidden);
}
void lstm_cell_forward(const double* gates, const double* c, double* hc, double* act, int64_t batch,
                       int64_t hidden) {
    forward_loop(gates, c, hc, act, batch, hidden);
}
void lstm_cell_backward(const float* grad_hc, const float* c, const float* act, float* grad_gates,
                        float* grad_c, int64_t batch, int64_t hidden) {
    backward_loop(grad_hc, c, act, grad_gates, grad_c, batch, hidden);
}
void lstm_cell_backward(const double* grad_hc, const double* c, const double* act,
                        double* grad_gates, double* grad_c, int64_t batch, int64_t hidden) {
    backward_loop(grad_hc, c, act, grad_gates, grad_c, batch, hidden);
}

}  // namespace kernels
}  // namespace tapegrad
