#include "autograd/functional.hpp"

#include <stdexcept>
#include <string>

#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {
namespace autograd {
namespace functional {

namespace {

// x cut from its graph (unless create_graph, which keeps the path to x) and requiring grad.
Tensor prepare(const Tensor& x, bool create_graph) {
    if (!x.defined()) throw std::invalid_argument("autograd::functional: the input is undefined");
    if (!x.is_floating_point()) {
        throw std::invalid_argument(
            std::string("autograd::functional: the input must be floating, got ") +
            to_string(x.dtype()) + " of shape " + shape_str(x.sizes()));
    }
    if (create_graph && x.requires_grad()) return x.view_as(x);
    return x.detach().requires_grad_(true);
}

// d out / d x contracted with v; zeros of x's shape (or an error when strict) where out does
// not depend on x.
Tensor grad_or_zeros(const char* op, const Tensor& out, const Tensor& x, const Tensor& v,
                     bool create_graph, bool strict) {
    Tensor g;
    if (out.requires_grad())
        g = grad({out}, {x}, {v}, /*retain_graph=*/true, create_graph, true)[0];
    if (g.defined()) return create_graph ? g : g.detach();
    if (strict) {
        throw std::invalid_argument(
            std::string(op) + ": the output of shape " + shape_str(out.sizes()) +
            " does not depend on the input of shape " + shape_str(x.sizes()) + " (strict=true)");
    }
    return zeros(x.sizes(), x.dtype());
}

// The rows of d out / d x, one backward per element of out, as [out..., x...].
Tensor jacobian_of(const char* op, const Tensor& out, const Tensor& x, bool create_graph,
                   bool strict) {
    tensor_list rows;
    const Tensor flat = out.reshape({-1});
    for (int64_t i = 0; i < flat.numel(); ++i) {
        Tensor seed = zeros({flat.numel()}, out.dtype());
        {
            NoGradGuard no_grad;
            seed[i] = 1;
        }
        rows.push_back(grad_or_zeros(op, out, x, seed.view(out.sizes()), create_graph, strict));
    }
    std::vector<int64_t> shape = out.sizes().vec();
    shape.insert(shape.end(), x.sizes().begin(), x.sizes().end());
    if (rows.empty()) return zeros(shape, x.dtype());
    return stack(rows).reshape(shape);
}

void check_v(const char* op, const Tensor& v, const Tensor& like, const char* what) {
    if (v.defined() && v.sizes() != like.sizes()) {
        throw std::invalid_argument(std::string(op) + ": v has shape " + shape_str(v.sizes()) +
                                    ", expected " + what + "'s shape " + shape_str(like.sizes()));
    }
    if (!v.defined() && like.numel() != 1) {
        throw std::invalid_argument(std::string(op) + ": v is needed when " + what + " has shape " +
                                    shape_str(like.sizes()) + " (more than one element)");
    }
}

Tensor ones_if_undefined(const Tensor& v, const Tensor& like) {
    return v.defined() ? v : ones(like.sizes(), like.dtype());
}

Tensor finish(const Tensor& t, bool create_graph) {
    return create_graph ? t : t.detach();
}

// y = func(xg) for a single-element y, and its gradient, recorded so that it can be
// differentiated again (the first half of a Hessian).
Tensor recorded_gradient(const char* op, const Func& func, const Tensor& xg, Tensor& y,
                         bool strict) {
    y = func(xg);
    if (y.numel() != 1) {
        throw std::invalid_argument(std::string(op) +
                                    ": func must return a single element, got shape " +
                                    shape_str(y.sizes()));
    }
    return grad_or_zeros(op, y, xg, Tensor(), /*create_graph=*/true, strict);
}

}  // namespace

Tensor jacobian(const Func& func, const Tensor& x, bool create_graph, bool strict) {
    AutoGradMode enable(true);
    const Tensor xg = prepare(x, create_graph);
    return jacobian_of("jacobian", func(xg), xg, create_graph, strict);
}

std::vector<tensor_list> jacobian(const std::function<tensor_list(const tensor_list&)>& func,
                                  const tensor_list& inputs, bool create_graph, bool strict) {
    AutoGradMode enable(true);
    tensor_list xs;
    for (const Tensor& x : inputs) xs.push_back(prepare(x, create_graph));
    const tensor_list outs = func(xs);
    std::vector<tensor_list> result(outs.size());
    for (size_t i = 0; i < outs.size(); ++i)
        for (const Tensor& x : xs)
            result[i].push_back(jacobian_of("jacobian", outs[i], x, create_graph, strict));
    return result;
}

Tensor hessian(const Func& func, const Tensor& x, bool create_graph, bool strict) {
    AutoGradMode enable(true);
    const Tensor xg = prepare(x, create_graph);
    Tensor y;
    const Tensor g = recorded_gradient("hessian", func, xg, y, strict);
    return jacobian_of("hessian", g, xg, create_graph, strict);
}

std::pair<Tensor, Tensor> vjp(const Func& func, const Tensor& x, const Tensor& v, bool create_graph,
                              bool strict) {
    AutoGradMode enable(true);
    const Tensor xg = prepare(x, create_graph);
    const Tensor y = func(xg);
    check_v("vjp", v, y, "the output");
    const Tensor g = grad_or_zeros("vjp", y, xg, ones_if_undefined(v, y), create_graph, strict);
    return {finish(y, create_graph), g};
}

// J v = d/du (u^T J) v: the vjp with a dummy u that requires grad is linear in u, and its
// gradient with respect to u, contracted with v, is J v
std::pair<Tensor, Tensor> jvp(const Func& func, const Tensor& x, const Tensor& v, bool create_graph,
                              bool strict) {
    AutoGradMode enable(true);
    const Tensor xg = prepare(x, create_graph);
    const Tensor y = func(xg);
    check_v("jvp", v, xg, "the input");
    const Tensor u = zeros(y.sizes(), y.dtype()).requires_grad_(true);
    const Tensor ut_j = grad_or_zeros("jvp", y, xg, u, /*create_graph=*/true, strict);
    const Tensor jv = grad_or_zeros("jvp", ut_j, u, ones_if_undefined(v, xg), create_graph, false);
    return {finish(y, create_graph), jv};
}

std::pair<Tensor, Tensor> hvp(const Func& func, const Tensor& x, const Tensor& v, bool create_graph,
                              bool strict) {
    AutoGradMode enable(true);
    const Tensor xg = prepare(x, create_graph);
    check_v("hvp", v, xg, "the input");
    Tensor y;
    const Tensor g = recorded_gradient("hvp", func, xg, y, strict);
    const Tensor hv = grad_or_zeros("hvp", g, xg, ones_if_undefined(v, xg), create_graph, strict);
    return {finish(y, create_graph), hv};
}

}  // namespace functional
}  // namespace autograd
}  // namespace tapegrad
