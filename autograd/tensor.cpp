#include "autograd/tensor.hpp"

#include "autograd/allocator.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <ostream>

#include "autograd/detail.hpp"
#include "autograd/engine.hpp"
#include "autograd/format.hpp"
#include "autograd/kernels/strided.hpp"
#include "autograd/node.hpp"
#include "autograd/view.hpp"

namespace tapegrad {

const char* to_string(ScalarType t) {
    return detail::enum_name(
        t, {"float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool", "bfloat16"});
}

std::ostream& operator<<(std::ostream& os, ScalarType t) {
    return os << to_string(t);
}

void Scalar::throw_too_large(unsigned long long v) {
    throw std::invalid_argument("Scalar: " + std::to_string(v) + " does not fit in an int64");
}

std::ostream& operator<<(std::ostream& os, const Scalar& s) {
    if (s.is_bool()) return os << (s.toBool() ? "true" : "false");
    if (s.is_integral()) return os << s.to_long();
    return os << s.to_double();
}

Device::Device(DeviceType type, int index) : type_(type), index_(index) {
    if (index < -1) {
        throw std::invalid_argument("Device: index must be -1 (none) or >= 0, got " +
                                    std::to_string(index));
    }
    if (type == kCPU && index > 0) {
        throw std::invalid_argument("Device: the CPU has index 0 only, got " +
                                    std::to_string(index));
    }
}

Device::Device(const std::string& spec) : type_(kCPU), index_(-1) {
    const size_t colon = spec.find(':');
    const std::string kind = spec.substr(0, colon);
    if (kind == "cpu")
        type_ = kCPU;
    else if (kind == "cuda")
        type_ = kCUDA;
    else {
        throw std::invalid_argument("Device: expected 'cpu', 'cuda' or 'cuda:<index>', got '" +
                                    spec + "'");
    }
    if (colon != std::string::npos) {
        const std::string digits = spec.substr(colon + 1);
        if (digits.empty() || digits.size() > 9 ||
            !std::all_of(digits.begin(), digits.end(),
                         [](char c) { return c >= '0' && c <= '9'; })) {
            throw std::invalid_argument("Device: bad device index in '" + spec + "'");
        }
        *this = Device(type_, std::stoi(digits));
    }
}

std::string Device::str() const {
    std::string s = type_ == kCPU ? "cpu" : "cuda";
    if (index_ >= 0) s += ":" + std::to_string(index_);
    return s;
}

std::ostream& operator<<(std::ostream& os, const Device& d) {
    return os << d.str();
}
std::ostream& operator<<(std::ostream& os, DeviceType t) {
    return os << (t == kCPU ? "cpu" : "cuda");
}

namespace detail {
void check_cpu(const char* op, const Device& d) {
    if (!d.is_cpu()) {
        throw std::invalid_argument(std::string(op) + ": device " + d.str() +
                                    " is not available: tapegrad computes on the CPU only "
                                    "(cuda::is_available() is false)");
    }
}
}  // namespace detail

std::string shape_str(const std::vector<int64_t>& sizes) {
    std::string s = "[";
    for (size_t i = 0; i < sizes.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(sizes[i]);
    }
    return s + "]";
}

namespace detail {
std::ostream& operator<<(std::ostream& os, const Sizes& sizes) {
    return os << shape_str(sizes);
}
}  // namespace detail

std::ostream& operator<<(std::ostream& os, const IntArrayRef& sizes) {
    return os << shape_str(sizes);
}

IntArrayRef IntArrayRef::slice(size_t start, size_t length) const {
    if (start > v_.size() || length > v_.size() - start) {
        throw std::invalid_argument("IntArrayRef::slice: [" + std::to_string(start) + ", " +
                                    std::to_string(start) + " + " + std::to_string(length) +
                                    ") is out of range for " + std::to_string(v_.size()) +
                                    " entries");
    }
    return IntArrayRef(
        std::vector<int64_t>(v_.begin() + static_cast<std::ptrdiff_t>(start),
                             v_.begin() + static_cast<std::ptrdiff_t>(start + length)));
}

// ---- storage and hooks --------------------------------------------------------------------------

Storage::Storage(int64_t n) : nbytes(n) {
    data = n <= kInlineBytes ? inline_ : allocator::detail::allocate(static_cast<size_t>(n));
    if (!data) {
        throw OutOfMemory("tensor: cannot allocate " + std::to_string(n) + " bytes (" +
                          std::to_string(n / (1 << 20)) + " MiB)");
    }
}

Storage::~Storage() {
    if (data != inline_) allocator::detail::release(data, static_cast<size_t>(nbytes));
}

unsigned HookList::add(GradHook hook) {
    hooks_.emplace_back(next_, std::move(hook));
    return next_++;
}

bool HookList::remove(unsigned handle) {
    for (auto it = hooks_.begin(); it != hooks_.end(); ++it) {
        if (it->first == handle) {
            hooks_.erase(it);
            return true;
        }
    }
    return false;
}

void HookList::disarm() {
    for (auto& h : hooks_) h.second = [](const Tensor&) { return Tensor(); };
}

TensorImpl::~TensorImpl() {
    if (grad_fn) autograd::detail::release_node(std::move(grad_fn));
}

void TensorImpl::set_geometry(std::vector<int64_t> new_sizes, const int64_t* new_strides) {
    sizes = std::move(new_sizes);
    const size_t nd = sizes.size();
    strides.assign(nd, 0);
    numel = detail::numel_of(sizes);
    if (!new_strides) {
        int64_t step = 1;
        for (size_t d = nd; d-- > 0;) {
            strides[d] = step;
            step *= sizes[d] > 0 ? sizes[d] : 1;
        }
        contiguous = true;
        return;
    }
    for (size_t d = 0; d < nd; ++d) strides[d] = new_strides[d];
    // row-major without gaps; dims of size 1 may have any stride, as in LibTorch
    contiguous = true;
    int64_t expected = 1;
    for (size_t d = nd; d-- > 0;) {
        if (sizes[d] == 1) continue;
        if (strides[d] != expected) {
            contiguous = numel == 0;
            break;
        }
        expected *= sizes[d];
    }
}

// ---- helpers for the op files -------------------------------------------------------------------

namespace detail {

int64_t numel_of(const std::vector<int64_t>& sizes) {
    int64_t n = 1;
    for (int64_t s : sizes) n *= s;
    return n;
}

int64_t checked_numel(const char* op, const std::vector<int64_t>& sizes) {
    int64_t n = 1;
    bool overflow = false;
    for (int64_t s : sizes) {
        if (s < 0) fail(op, "negative size " + std::to_string(s) + " in shape " + shape_str(sizes));
        overflow = overflow || __builtin_mul_overflow(n, s, &n);
    }
    // a zero anywhere makes the product 0, whatever overflowed on the way
    if (std::find(sizes.begin(), sizes.end(), 0) != sizes.end()) return 0;
    if (overflow) {
        fail(op, "shape " + shape_str(sizes) + " has more elements than an int64 can count");
    }
    return n;
}

// Every op's output is made here, so this is one pass over the sizes: row-major strides,
// the element count with its overflow check, and no other work.
Tensor make_tensor(const std::vector<int64_t>& sizes, ScalarType dtype) {
    auto impl = std::make_shared<TensorImpl>();
    const size_t nd = sizes.size();
    impl->strides.assign(nd, 0);
    int64_t n = 1, step = 1;
    bool bad = false;
    for (size_t d = nd; d-- > 0;) {
        const int64_t s = sizes[d];
        impl->strides[d] = step;
        bad = bad || s < 0 || __builtin_mul_overflow(n, s, &n);
        if (s > 1) bad = bad || __builtin_mul_overflow(step, s, &step);
    }
    int64_t bytes = 0;
    if (bad || __builtin_mul_overflow(n, tapegrad::element_size(dtype), &bytes)) {
        n = checked_numel("empty", sizes);  // names the fault (a 0 size excuses an overflow)
        bytes = n * tapegrad::element_size(dtype);
        if (n > 0 && bytes / n != tapegrad::element_size(dtype)) {
            fail("empty", "shape " + shape_str(sizes) + " of " + to_string(dtype) +
                              " needs more bytes than an int64 can count");
        }
        for (size_t d = nd, st = 1; d-- > 0;) {  // strides of a shape with a 0 in it
            impl->strides[d] = static_cast<int64_t>(st);
            if (sizes[d] > 1 && n > 0) st *= static_cast<size_t>(sizes[d]);
        }
    }
    impl->sizes = sizes;
    impl->numel = n;
    impl->dtype = dtype;
    impl->storage = std::make_shared<Storage>(bytes);
    return wrap(std::move(impl));
}

std::vector<int64_t> expanded_strides(const Tensor& t, const std::vector<int64_t>& out_sizes) {
    const TensorImpl& i = impl(t);
    const size_t nd = out_sizes.size(), td = i.sizes.size();
    std::vector<int64_t> s(nd, 0);
    for (size_t d = 0; d < td; ++d) s[nd - td + d] = i.sizes[d] == 1 ? 0 : i.strides[d];
    return s;
}

namespace {
// copy_into when either side is bfloat16, which the generic dispatch leaves out (one more
// type in it would multiply the loops every op instantiates): bfloat16 to bfloat16 moves bits,
// the other pairs go through float32, which holds every bfloat16 exactly.
void copy_bfloat16(const Tensor& dst, const Tensor& src, const std::vector<int64_t>& ss) {
    const TensorImpl& d = impl(dst);
    const TensorImpl& s = impl(src);
    if (d.dtype == kBFloat16 && s.dtype == kBFloat16) {
        kernels::unary_loop(d.sizes, static_cast<BFloat16*>(dst.raw_data()), d.strides.data(),
                            static_cast<const BFloat16*>(src.raw_data()), ss.data(),
                            [](BFloat16 v) { return v; });
    } else if (d.dtype == kBFloat16 && s.dtype == kFloat32) {
        kernels::unary_loop(d.sizes, static_cast<BFloat16*>(dst.raw_data()), d.strides.data(),
                            static_cast<const float*>(src.raw_data()), ss.data(),
                            [](float v) { return BFloat16(v); });
    } else if (s.dtype == kBFloat16 && d.dtype == kFloat32) {
        kernels::unary_loop(d.sizes, static_cast<float*>(dst.raw_data()), d.strides.data(),
                            static_cast<const BFloat16*>(src.raw_data()), ss.data(),
                            [](BFloat16 v) { return static_cast<float>(v); });
    } else if (d.dtype == kBFloat16) {  // as LibTorch: through float32, rounded once more
        Tensor f = make_tensor(d.sizes, kFloat32);
        copy_into(f, src);
        copy_into(dst, f);
    } else {
        Tensor f = make_tensor(s.sizes, kFloat32);
        copy_into(f, src);
        copy_into(dst, f);
    }
}
}  // namespace

void copy_into(const Tensor& dst, const Tensor& src) {
    const TensorImpl& d = impl(dst);
    const TensorImpl& s = impl(src);
    if (d.dtype == s.dtype && d.contiguous && s.contiguous && d.sizes == s.sizes) {
        std::memcpy(dst.raw_data(), src.raw_data(),
                    static_cast<size_t>(d.numel * tapegrad::element_size(d.dtype)));
        return;
    }
    const std::vector<int64_t> ss = expanded_strides(src, d.sizes);
    if (d.dtype == kBFloat16 || s.dtype == kBFloat16) return copy_bfloat16(dst, src, ss);
    dispatch_all(d.dtype, [&](auto zd) {
        using D = decltype(zd);
        dispatch_all(src.dtype(), [&](auto zs) {
            using S = decltype(zs);
            kernels::unary_loop(d.sizes, static_cast<D*>(dst.raw_data()), d.strides.data(),
                                static_cast<const S*>(src.raw_data()), ss.data(),
                                [](S v) { return static_cast<D>(v); });
        });
    });
}

Tensor dense(const Tensor& t) {
    if (t.is_contiguous()) return t;
    Tensor c = make_tensor(t.sizes(), t.dtype());
    copy_into(c, t);
    return c;
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

void unsupported_dtype(ScalarType dt) {
    if (dt == kBFloat16) refuse_bfloat16("this op");
    throw std::invalid_argument(std::string("this op does not support dtype ") + to_string(dt));
}

void refuse_bfloat16(const char* op) {
    fail(op,
         "got a bfloat16 tensor; bfloat16 is a storage dtype here (to, copy_, clone, "
         "contiguous, views, item and printing take it): convert with .to(kFloat32) first "
         "(for bfloat16 matrix products, keep float32 tensors and use autocast::AutocastGuard)");
}

namespace {
// The ops that take bfloat16 tensors (views and copies, which move bits without arithmetic);
// every other op that checks its input refuses them by name.
bool takes_bfloat16(const char* op) {
    static const char* const kOps[] = {"reshape",   "view",      "flatten", "squeeze",
                                       "unsqueeze", "transpose", "t",       "permute",
                                       "movedim",   "slice",     "narrow",  "select",
                                       "diagonal",  "unfold",    "split",   "split_with_sizes",
                                       "chunk",     "unbind",    "expand",  "as_strided",
                                       "set_data",  "copy_",     "save",    "contiguous"};
    for (const char* name : kOps)
        if (std::strcmp(op, name) == 0) return true;
    return false;
}
}  // namespace

void check_defined(const char* op, const Tensor& t, const char* what) {
    if (!t.defined()) fail(op, std::string(what) + " is an undefined tensor");
    if (t.dtype() == kBFloat16 && !takes_bfloat16(op)) refuse_bfloat16(op);
}

void check_floating(const char* op, const Tensor& t) {
    check_defined(op, t);
    if (!t.is_floating_point()) {
        fail(op, std::string("expected a floating-point tensor, got ") + to_string(t.dtype()) +
                     " of shape " + shape_str(t.sizes()));
    }
}

namespace {
// Rank of a dtype in LibTorch's promotion lattice for one kind (Bool < integers < floats).
int width(ScalarType t) {
    switch (t) {
        case kBool:
            return 0;
        case kUInt8:
        case kInt8:
            return 1;
        case kInt16:
            return 2;
        case kInt32:
            return 3;
        case kInt64:
            return 4;
        case kBFloat16:
            return 5;
        case kFloat32:
            return 6;
        case kFloat64:
            return 7;
    }
    return 7;
}
}  // namespace

ScalarType promote(ScalarType a, ScalarType b) {
    if (a == b) return a;
    if ((a == kUInt8 && b == kInt8) || (a == kInt8 && b == kUInt8)) return kInt16;
    return width(a) >= width(b) ? a : b;
}

ScalarType promote(ScalarType a, const Scalar& s) {
    // a scalar changes the kind only: float scalars make integer and Bool tensors float32,
    // integer scalars make Bool tensors int64; within a kind the tensor's dtype wins
    if (!s.is_integral()) return is_floating_point(a) ? a : kFloat32;
    if (a == kBool && !s.is_bool()) return kInt64;
    return a;
}

DimSplit split_at(const std::vector<int64_t>& sizes, int64_t dim) {
    DimSplit s;
    for (int64_t d = 0; d < static_cast<int64_t>(sizes.size()); ++d) {
        if (d < dim)
            s.outer *= sizes[d];
        else if (d == dim)
            s.n = sizes[d];
        else
            s.inner *= sizes[d];
    }
    return s;
}

Tensor cast(const Tensor& t, ScalarType dt) {
    return t.to(dt);
}

}  // namespace detail

// ---- Tensor basics ------------------------------------------------------------------------------

void Tensor::throw_undefined() {
    throw std::logic_error("tensor: this handle is undefined (an empty Tensor)");
}

int64_t Tensor::size(int64_t d) const {
    return sizes()[static_cast<size_t>(detail::wrap_dim("size", d, dim()))];
}

std::vector<int64_t> Tensor::strides() const {
    const TensorImpl& i = impl();
    return std::vector<int64_t>(i.strides.begin(), i.strides.end());
}

int64_t Tensor::stride(int64_t d) const {
    return impl().strides[static_cast<size_t>(detail::wrap_dim("stride", d, dim()))];
}

bool Tensor::is_alias_of(const Tensor& other) const {
    return impl().storage == other.impl().storage;
}

bool Tensor::is_view() const {
    return impl().base != nullptr;
}

void* Tensor::raw_data() const {
    const TensorImpl& i = impl();
    return static_cast<char*>(i.storage->data) + i.offset * tapegrad::element_size(i.dtype);
}

void Tensor::check_access(ScalarType wanted, const char* what) const {
    if (dtype() != wanted) {
        detail::fail(what, std::string("tensor has dtype ") + to_string(dtype()) +
                               ", but the element type asked for is " + to_string(wanted));
    }
}

Scalar Tensor::item() const {
    if (numel() != 1) {
        detail::fail("item", "only a one-element tensor converts to a number; this one has " +
                                 std::to_string(numel()) + " elements, shape " +
                                 shape_str(sizes()));
    }
    if (dtype() == kBFloat16) return Scalar(static_cast<double>(*data_ptr<BFloat16>()));
    return detail::dispatch_all(dtype(), [&](auto zero) -> Scalar {
        using T = decltype(zero);
        const T v = *static_cast<const T*>(raw_data());
        if constexpr (std::is_same_v<T, bool>)
            return Scalar(v);
        else if constexpr (std::is_floating_point_v<T>)
            return Scalar(static_cast<double>(v));
        else
            return Scalar(static_cast<long long>(v));
    });
}

template <class T>
std::vector<T> Tensor::to_vector() const {
    if (dtype() == kBFloat16) return to(kFloat32).to_vector<T>();
    std::vector<T> out(static_cast<size_t>(numel()));
    const Tensor c = contiguous();
    detail::dispatch_all(dtype(), [&](auto zero) {
        using S = decltype(zero);
        const S* p = static_cast<const S*>(c.raw_data());
        for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(p[i]);
    });
    return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<int> Tensor::to_vector<int>() const;
template std::vector<uint8_t> Tensor::to_vector<uint8_t>() const;

// ---- autograd -----------------------------------------------------------------------------------

bool Tensor::requires_grad() const {
    TensorImpl& i = impl();
    if (i.base && i.view_version != i.storage->version) autograd::detail::refresh_view(*this);
    return i.requires_grad;
}

const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const {
    TensorImpl& i = impl();
    if (i.base && i.view_version != i.storage->version) autograd::detail::refresh_view(*this);
    return i.grad_fn;
}

bool Tensor::is_leaf() const {
    return grad_fn() == nullptr;
}

uint32_t Tensor::output_nr() const {
    return grad_fn() ? impl().output_nr : 0;
}

Tensor& Tensor::requires_grad_(bool r) {
    TensorImpl& i = impl();
    if (r && !is_floating_point()) {
        detail::fail("requires_grad_", std::string("only floating-point tensors can require "
                                                   "gradients; this one is ") +
                                           to_string(dtype()));
    }
    if (!r && grad_fn()) {
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
    if (g.defined() && g.dtype() != dtype()) {
        detail::fail("set_grad", std::string("gradient has dtype ") + to_string(g.dtype()) +
                                     ", the tensor has dtype " + to_string(dtype()));
    }
    impl().grad = g;
}

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph,
                      const std::optional<std::vector<Tensor>>& inputs) const {
    if (inputs && inputs->empty()) {
        throw std::invalid_argument("backward: 'inputs' argument to backward cannot be empty");
    }
    autograd::backward({*this}, {gradient}, retain_graph, create_graph,
                       inputs.value_or(tensor_list{}));
}

// LibTorch warns on every read; once per process is enough to point at the mistake.
const Tensor& Tensor::grad() const {
    const TensorImpl& i = impl();
    if (i.grad_fn && !i.retains_grad && !i.grad.defined()) {
        static std::atomic<bool> warned{false};
        if (!warned.exchange(true)) {
            std::fprintf(stderr,
                         "[W tapegrad] Warning: The .grad attribute of a Tensor that is not a leaf "
                         "Tensor is being accessed. Its .grad attribute won't be populated during "
                         "autograd.backward(). If you indeed want the .grad field to be populated "
                         "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
                         "access the non-leaf Tensor by mistake, make sure you access the leaf "
                         "Tensor instead. (function grad)\n");
        }
    }
    return i.grad;
}

// A detached alias: same storage (and so the same version counter), no history, no base.
Tensor Tensor::detach() const {
    const TensorImpl& i = impl();
    auto d = std::make_shared<TensorImpl>();
    d->storage = i.storage;
    d->offset = i.offset;
    d->sizes = i.sizes;
    d->strides = i.strides;
    d->numel = i.numel;
    d->contiguous = i.contiguous;
    d->dtype = i.dtype;
    return detail::wrap(std::move(d));
}

Tensor& Tensor::detach_() {
    TensorImpl& i = impl();
    if (i.base) {
        throw std::logic_error(
            "detach_: cannot detach a view in place (it shares its base's "
            "history); use detach() instead");
    }
    if (i.grad_fn) autograd::detail::release_node(std::move(i.grad_fn));
    i.grad_fn = nullptr;
    i.requires_grad = false;
    return *this;
}

void Tensor::retain_grad() const {
    TensorImpl& i = impl();
    if (!requires_grad()) {
        throw std::logic_error("retain_grad: the tensor does not require grad");
    }
    i.retains_grad = true;
    if (grad_fn()) i.grad_fn->retained(i.output_nr) = impl_;
}

unsigned Tensor::register_hook(GradHook hook) const {
    if (!requires_grad()) {
        throw std::logic_error(
            "register_hook: cannot register a hook on a tensor that does not "
            "require grad");
    }
    TensorImpl& i = impl();
    return (grad_fn() ? i.grad_fn->hooks(i.output_nr) : i.hooks).add(std::move(hook));
}

void Tensor::remove_hook(unsigned handle) const {
    TensorImpl& i = impl();
    HookList& hooks = grad_fn() ? i.grad_fn->hooks(i.output_nr) : i.hooks;
    if (!hooks.remove(handle)) {
        throw std::invalid_argument("remove_hook: no hook with handle " + std::to_string(handle) +
                                    " on this tensor (was it removed already?)");
    }
}

void Tensor::set_data(const Tensor& new_data) const {
    detail::check_defined("set_data", new_data, "new_data");
    TensorImpl& i = impl();
    const TensorImpl& src = new_data.impl();
    if (i.requires_grad && !tapegrad::is_floating_point(src.dtype)) {
        detail::fail("set_data", std::string("a tensor that requires grad cannot take ") +
                                     to_string(src.dtype) + " data");
    }
    i.storage = src.storage;
    i.offset = src.offset;
    i.sizes = src.sizes;
    i.strides = src.strides;
    i.numel = src.numel;
    i.contiguous = src.contiguous;
    i.dtype = src.dtype;
}

Tensor& Tensor::set_name(std::string n) {
    impl().name = std::move(n);
    return *this;
}

// ---- copies and conversions ---------------------------------------------------------------------

// y = x as a fresh contiguous tensor;  grad_x = grad_out
Tensor Tensor::clone() const {
    Tensor y = detail::make_tensor(sizes(), dtype());
    detail::copy_into(y, *this);
    return autograd::record(
        "clone", y, {*this}, [](const Tensor& grad_out) { return detail::Grads{grad_out}; },
        "grad_x = grad_out", autograd::kSavesNone);
}

// y = x laid out row-major (x itself when it is already);  grad_x = grad_out
Tensor Tensor::contiguous() const {
    if (is_contiguous()) return *this;
    Tensor y = detail::make_tensor(sizes(), dtype());
    detail::copy_into(y, *this);
    return autograd::record(
        "contiguous", y, {*this}, [](const Tensor& grad_out) { return detail::Grads{grad_out}; },
        "grad_x = grad_out", autograd::kSavesNone);
}

// y = cast(x); grad_x = cast(grad_out) back to x's dtype
Tensor Tensor::to(ScalarType t, bool, bool copy) const {
    if (t == dtype() && !copy) return *this;
    Tensor y = detail::make_tensor(sizes(), t);
    detail::copy_into(y, *this);
    if (!is_floating_point() || !tapegrad::is_floating_point(t)) return y;
    const ScalarType from = dtype();
    return autograd::record(
        "to", y, {*this},
        [from](const Tensor& grad_out) { return detail::Grads{grad_out.to(from)}; },
        "grad_x = grad_out converted back to x's dtype", autograd::kSavesNone);
}

Tensor Tensor::to(TensorOptions o, bool non_blocking, bool copy) const {
    detail::check_cpu("to", o.device());
    return o.has_dtype() ? to(o.dtype(), non_blocking, copy) : (copy ? clone() : *this);
}

Tensor Tensor::to(Device d, bool, bool copy) const {
    detail::check_cpu("to", d);
    return copy ? clone() : *this;
}

Tensor Tensor::to(Device d, ScalarType t, bool non_blocking, bool copy) const {
    detail::check_cpu("to", d);
    return to(t, non_blocking, copy);
}

Tensor Tensor::cuda() const {
    detail::check_cpu("cuda", Device(kCUDA));
    return *this;
}

bool Tensor::equal(const Tensor& other) const {
    return tapegrad::equal(*this, other);
}

// As LibTorch 1.13: the same shape and equal values, compared after type promotion (so NaN
// differs from itself and -0.0 equals 0.0)
bool equal(const Tensor& a, const Tensor& b) {
    detail::check_defined("equal", a, "a");
    detail::check_defined("equal", b, "b");
    if (a.sizes() != b.sizes()) return false;
    return a.numel() == 0 || eq(a, b).all().item<bool>();
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

}  // namespace tapegrad
