#include "autograd/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>

#include "autograd/detail.hpp"
#include "autograd/engine.hpp"
#include "autograd/node.hpp"

namespace tapegrad {

const char* to_string(ScalarType t) {
    switch (t) {
        case kFloat32: return "float32";
        case kFloat64: return "float64";
        default: return "int64";
    }
}

std::ostream& operator<<(std::ostream& os, ScalarType t) { return os << to_string(t); }

std::string shape_str(const std::vector<int64_t>& sizes) {
    std::string s = "[";
    for (size_t i = 0; i < sizes.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(sizes[i]);
    }
    return s + "]";
}

// ---- storage ------------------------------------------------------------------------------------

Storage::Storage(int64_t n) : nbytes(n) {
    data = std::malloc(n > 0 ? static_cast<size_t>(n) : 1);
    if (!data) throw std::bad_alloc();
}

Storage::~Storage() { std::free(data); }

TensorImpl::~TensorImpl() {
    if (grad_fn) autograd::detail::release_node(std::move(grad_fn));
}

// ---- helpers for the op files -------------------------------------------------------------------

namespace detail {

int64_t numel_of(const std::vector<int64_t>& sizes) {
    int64_t n = 1;
    for (int64_t s : sizes) n *= s;
    return n;
}

Tensor make_tensor(const std::vector<int64_t>& sizes, ScalarType dtype) {
    auto impl = std::make_shared<TensorImpl>();
    impl->numel = numel_of(sizes);
    impl->sizes = sizes;
    impl->dtype = dtype;
    impl->storage = std::make_shared<Storage>(impl->numel * element_size(dtype));
    return detail::wrap(std::move(impl));
}

Tensor make_view(const Tensor& base, std::vector<int64_t> sizes, int64_t extra_offset) {
    auto impl = std::make_shared<TensorImpl>();
    impl->numel = numel_of(sizes);
    impl->sizes = std::move(sizes);
    impl->dtype = base.dtype();
    impl->storage = detail::impl(base).storage;
    impl->offset = detail::impl(base).offset + extra_offset;
    return detail::wrap(std::move(impl));
}

int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim) {
    const int64_t n = ndim == 0 ? 1 : ndim;  // a 0-d tensor accepts dim 0 and -1, as LibTorch
    if (dim < -n || dim >= n) {
        fail(op, "dim " + std::to_string(dim) + " is out of range for a tensor with " +
                     std::to_string(ndim) + " dims (expected " + std::to_string(-n) + " to " +
                     std::to_string(n - 1) + ")");
    }
    return dim < 0 ? dim + n : dim;
}

void fail(const char* op, const std::string& message) {
    throw std::invalid_argument(std::string(op) + ": " + message);
}

void check_defined(const char* op, const Tensor& t, const char* what) {
    if (!t.defined()) fail(op, std::string(what) + " is an undefined tensor");
}

void check_floating(const char* op, const Tensor& t) {
    check_defined(op, t);
    if (!t.is_floating_point()) {
        fail(op, std::string("expected a floating-point tensor, got ") + to_string(t.dtype()) +
                     " of shape " + shape_str(t.sizes()));
    }
}

ScalarType promote(ScalarType a, ScalarType b) {
    if (a == kFloat64 || b == kFloat64) return kFloat64;
    if (a == kFloat32 || b == kFloat32) return kFloat32;
    return kInt64;
}

ScalarType promote(ScalarType a, const Scalar& s) {
    return (a == kInt64 && !s.is_integral()) ? kFloat32 : a;
}

DimSplit split_at(const std::vector<int64_t>& sizes, int64_t dim) {
    DimSplit s;
    for (int64_t d = 0; d < static_cast<int64_t>(sizes.size()); ++d) {
        if (d < dim) s.outer *= sizes[d];
        else if (d == dim) s.n = sizes[d];
        else s.inner *= sizes[d];
    }
    return s;
}

}  // namespace detail

// ---- Tensor basics ------------------------------------------------------------------------------

void Tensor::throw_undefined() {
    throw std::logic_error("tensor: this handle is undefined (an empty Tensor)");
}

int64_t Tensor::size(int64_t d) const {
    return sizes()[static_cast<size_t>(detail::wrap_dim("size", d, dim()))];
}

void* Tensor::raw_data() const {
    const TensorImpl& i = impl();
    return static_cast<char*>(i.storage->data) + i.offset * element_size(i.dtype);
}

void Tensor::check_access(ScalarType wanted, const char* what) const {
    if (dtype() != wanted) {
        detail::fail(what, std::string("tensor has dtype ") + to_string(dtype()) +
                               ", but the element type asked for is " + to_string(wanted));
    }
}

double Tensor::item_double() const {
    if (numel() != 1) {
        detail::fail("item", "only a one-element tensor converts to a number; this one has " +
                                 std::to_string(numel()) + " elements, shape " + shape_str(sizes()));
    }
    return dtype() == kFloat32 ? *data_ptr<float>() : *data_ptr<double>();
}

int64_t Tensor::item_long() const {
    if (numel() != 1) {
        detail::fail("item", "only a one-element tensor converts to a number; this one has " +
                                 std::to_string(numel()) + " elements, shape " + shape_str(sizes()));
    }
    return *data_ptr<int64_t>();
}

template <class T>
std::vector<T> Tensor::to_vector() const {
    std::vector<T> out(static_cast<size_t>(numel()));
    detail::dispatch(dtype(), [&](auto zero) {
        using S = decltype(zero);
        const S* p = static_cast<const S*>(raw_data());
        for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(p[i]);
    });
    return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<int> Tensor::to_vector<int>() const;

Tensor& Tensor::requires_grad_(bool r) {
    TensorImpl& i = impl();
    if (r && !is_floating_point()) {
        detail::fail("requires_grad_", std::string("only floating-point tensors can require "
                                                   "gradients; this one is ") +
                                           to_string(dtype()));
    }
    if (!r && i.grad_fn) {
        throw std::logic_error(
            "requires_grad_: cannot turn off gradients of a non-leaf tensor (made by " +
            i.grad_fn->name() + "); use detach() instead");
    }
    i.requires_grad = r;
    return *this;
}

void Tensor::set_grad(const Tensor& g) {
    if (g.defined() && g.sizes() != sizes()) {
        detail::fail("set_grad", "gradient has shape " + shape_str(g.sizes()) +
                                     ", the tensor has shape " + shape_str(sizes()));
    }
    impl().grad = g;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
    autograd::backward({*this}, {gradient}, retain_graph, create_graph);
}

Tensor Tensor::detach() const { return detail::make_view(*this, sizes(), 0); }

Tensor& Tensor::detach_() {
    TensorImpl& i = impl();
    if (i.grad_fn) autograd::detail::release_node(std::move(i.grad_fn));
    i.grad_fn = nullptr;
    i.requires_grad = false;
    return *this;
}

void Tensor::retain_grad() const {
    TensorImpl& i = impl();
    if (!i.requires_grad) {
        throw std::logic_error("retain_grad: the tensor does not require grad");
    }
    i.retains_grad = true;
    if (i.grad_fn) i.grad_fn->retained = impl_;
}

unsigned Tensor::register_hook(GradHook hook) const {
    TensorImpl& i = impl();
    if (!i.requires_grad) {
        throw std::logic_error("register_hook: cannot register a hook on a tensor that does not "
                               "require grad");
    }
    std::vector<GradHook>& hooks = i.grad_fn ? i.grad_fn->pre_hooks : i.hooks;
    hooks.push_back(std::move(hook));
    return static_cast<unsigned>(hooks.size() - 1);
}

// A removed hook leaves an empty slot, so the handles of the others stay valid.
void Tensor::remove_hook(unsigned handle) const {
    TensorImpl& i = impl();
    std::vector<GradHook>& hooks = i.grad_fn ? i.grad_fn->pre_hooks : i.hooks;
    if (handle >= hooks.size() || !hooks[handle]) {
        throw std::invalid_argument("remove_hook: no hook with handle " + std::to_string(handle) +
                                    " on this tensor (it has " + std::to_string(hooks.size()) +
                                    " handles; was it removed already?)");
    }
    hooks[handle] = nullptr;
}

void Tensor::set_data(const Tensor& new_data) const {
    detail::check_defined("set_data", new_data, "new_data");
    TensorImpl& i = impl();
    const TensorImpl& src = detail::impl(new_data);
    if (i.requires_grad && !src.requires_grad && !tapegrad::is_floating_point(src.dtype)) {
        detail::fail("set_data", std::string("a tensor that requires grad cannot take ") +
                                     to_string(src.dtype) + " data");
    }
    i.storage = src.storage;
    i.offset = src.offset;
    i.sizes = src.sizes;
    i.numel = src.numel;
    i.dtype = src.dtype;
}

Tensor& Tensor::set_name(std::string n) {
    impl().name = std::move(n);
    return *this;
}

Tensor Tensor::clone() const {
    // y = x; grad_x = grad_out
    Tensor y = detail::make_tensor(sizes(), dtype());
    std::memcpy(y.raw_data(), raw_data(), static_cast<size_t>(numel() * element_size(dtype())));
    return autograd::record("clone", y, {*this},
                            [](const Tensor& grad_out) { return detail::Grads{grad_out}; },
                            "grad_x = grad_out");
}

Tensor Tensor::to(ScalarType t) const {
    // y = cast(x); grad_x = cast(grad_out) back to x's dtype
    if (t == dtype()) return *this;
    Tensor y = detail::make_tensor(sizes(), t);
    detail::dispatch(dtype(), [&](auto zx) {
        using X = decltype(zx);
        detail::dispatch(t, [&](auto zy) {
            using Y = decltype(zy);
            const X* px = static_cast<const X*>(raw_data());
            Y* py = static_cast<Y*>(y.raw_data());
            for (int64_t i = 0; i < numel(); ++i) py[i] = static_cast<Y>(px[i]);
        });
    });
    if (!is_floating_point() || !tapegrad::is_floating_point(t)) return y;
    const ScalarType from = dtype();
    return autograd::record("to", y, {*this},
                            [from](const Tensor& grad_out) {
                                return detail::Grads{grad_out.to(from)};
                            },
                            "grad_x = grad_out converted back to x's dtype");
}

namespace detail {
Tensor cast(const Tensor& t, ScalarType dt) { return t.to(dt); }
}  // namespace detail

bool Tensor::equal(const Tensor& other) const {
    if (sizes() != other.sizes() || dtype() != other.dtype()) return false;
    return std::memcmp(raw_data(), other.raw_data(),
                       static_cast<size_t>(numel() * element_size(dtype()))) == 0;
}

bool Tensor::allclose(const Tensor& other, double rtol, double atol) const {
    return tapegrad::allclose(*this, other, rtol, atol);
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
    if (a.sizes() != b.sizes()) return false;
    const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
    for (size_t i = 0; i < x.size(); ++i) {
        if (std::isnan(x[i]) || std::isnan(y[i])) return false;
        if (std::abs(x[i] - y[i]) > atol + rtol * std::abs(y[i])) return false;
    }
    return true;
}

// ---- printing -----------------------------------------------------------------------------------

namespace {
// One element as text: integers plainly, floats with 4 decimals.
std::string format_value(double x, bool integral) {
    char buf[40];
    if (integral) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(x));
    else std::snprintf(buf, sizeof buf, "%.4f", x);
    return buf;
}

// Prints one dim level, eliding the middle of long dims as PyTorch does; every element is
// padded to `width` so columns line up.
void print_level(std::ostream& os, const Tensor& t, const std::vector<std::string>& v, int64_t dim,
                 int64_t offset, int64_t stride, int indent, bool summarise, size_t width) {
    const int64_t n = t.size(dim);
    const int64_t inner = stride / (n == 0 ? 1 : n);
    const bool last = dim + 1 == t.dim();
    const std::string sep = last ? ", " : ",\n" + std::string(indent + 1, ' ');
    os << '[';
    for (int64_t i = 0; i < n; ++i) {
        if (summarise && n > 6 && i == 3) {
            os << "..." << sep;
            i = n - 3;
        }
        if (last) {
            const std::string& x = v[static_cast<size_t>(offset + i)];
            os << std::string(width - x.size(), ' ') << x;
        } else {
            print_level(os, t, v, dim + 1, offset + i * inner, inner, indent + 1, summarise, width);
        }
        if (i + 1 < n) os << sep;
    }
    os << ']';
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
    if (!t.defined()) return os << "tensor(undefined)";
    const std::vector<double> values = t.to_vector<double>();
    std::vector<std::string> text;
    size_t width = 0;
    for (double x : values) {
        text.push_back(format_value(x, t.dtype() == kInt64));
        width = std::max(width, text.back().size());
    }
    os << "tensor(";
    if (t.dim() == 0) os << text[0];
    else print_level(os, t, text, 0, 0, t.numel(), 7, t.numel() > 1000, width);
    os << ", shape=" << shape_str(t.sizes()) << ", dtype=" << to_string(t.dtype());
    if (t.grad_fn()) os << ", grad_fn=<" << t.grad_fn()->name() << ">";
    else if (t.requires_grad()) os << ", requires_grad=true";
    return os << ')';
}

}  // namespace tapegrad
