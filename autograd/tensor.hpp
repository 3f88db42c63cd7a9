#pragma once
// Tensor: a shared handle to storage, a shape, a dtype, and the graph node that made it.
//
// Every tensor is row-major and contiguous. Ops that keep the data contiguous (reshape, view,
// squeeze, unsqueeze, flatten, detach, and select/slice/narrow on dim 0) return views that
// share storage; every other op writes a fresh buffer. This keeps each kernel a plain loop.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "autograd/scalar_type.hpp"

namespace tapegrad {

namespace autograd {
class Node;
}  // namespace autograd

class Tensor;

/// A gradient hook: receives the gradient flowing into a tensor and may return a replacement
/// (an undefined tensor keeps the gradient as it is).
using GradHook = std::function<Tensor(const Tensor&)>;

/// A flat buffer of bytes shared by a tensor and its views.
struct Storage {
    void* data = nullptr;
    int64_t nbytes = 0;
    uint64_t version = 0;                 // bumped by every in-place op
    const char* last_inplace = nullptr;  // the op that bumped it last, for error messages
    explicit Storage(int64_t nbytes);
    ~Storage();
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;
};

struct TensorImpl;

namespace detail {
// The library's own access to a tensor's insides (users hold handles only).
TensorImpl& impl(const Tensor& t);
const std::shared_ptr<TensorImpl>& impl_ptr(const Tensor& t);
Tensor wrap(std::shared_ptr<TensorImpl> impl);

template <class T>
constexpr ScalarType scalar_type_of() {
    if constexpr (std::is_same_v<T, float>) return kFloat32;
    else if constexpr (std::is_same_v<T, double>) return kFloat64;
    else {
        static_assert(std::is_same_v<T, int64_t>, "tensor elements are float, double or int64_t");
        return kInt64;
    }
}
}  // namespace detail

/// A handle to an n-dimensional array that records the ops applied to it when it requires grad.
/// Copying a Tensor copies the handle, not the data (as in LibTorch).
class Tensor {
public:
    Tensor() = default;

    // ---- shape and type -------------------------------------------------------------------
    /// False for an empty handle, such as the grad of a tensor that has none yet.
    bool defined() const { return impl_ != nullptr; }
    const std::vector<int64_t>& sizes() const;
    /// Size of dimension `d`; negative `d` counts from the end.
    int64_t size(int64_t d) const;
    int64_t dim() const;
    int64_t numel() const;
    ScalarType dtype() const;
    ScalarType scalar_type() const;
    TensorOptions options() const { return TensorOptions(dtype()); }
    bool is_floating_point() const { return tapegrad::is_floating_point(dtype()); }
    bool is_contiguous() const { return true; }

    // ---- data access ----------------------------------------------------------------------
    /// The single element as T; throws unless numel() == 1.
    template <class T>
    T item() const {
        if (dtype() == kInt64) return static_cast<T>(item_long());
        return static_cast<T>(item_double());
    }
    /// Pointer to the first element; T must match dtype().
    template <class T>
    T* data_ptr() const {
        check_access(detail::scalar_type_of<T>(), "data_ptr");
        return static_cast<T*>(raw_data());
    }
    void* raw_data() const;
    /// The elements as a std::vector<T>, converting from the stored dtype.
    template <class T>
    std::vector<T> to_vector() const;

    // ---- autograd -------------------------------------------------------------------------
    bool requires_grad() const;
    /// Marks a leaf as needing gradients (floating dtypes only); returns *this.
    Tensor& requires_grad_(bool requires_grad = true);
    bool is_leaf() const;
    /// The accumulated gradient; undefined until a backward reaches this tensor.
    const Tensor& grad() const;
    /// Writable gradient slot, e.g. `p.mutable_grad() = Tensor()` to release it.
    Tensor& mutable_grad();
    void set_grad(const Tensor& g);
    /// The node that made this tensor, or null for a leaf.
    const std::shared_ptr<autograd::Node>& grad_fn() const;
    /// Backpropagates from this tensor into the .grad() of every leaf that requires grad.
    void backward(const Tensor& gradient = Tensor(), bool retain_graph = false,
                  bool create_graph = false) const;
    /// A tensor sharing this one's data, cut from the graph.
    Tensor detach() const;
    Tensor& detach_();
    /// Keeps .grad() for this non-leaf tensor after backward.
    void retain_grad() const;
    bool retains_grad() const;
    /// Calls `hook(grad)` whenever a gradient for this tensor is computed; a defined return
    /// value replaces the gradient. Returns a handle for remove_hook, as LibTorch does.
    unsigned register_hook(GradHook hook) const;
    template <class F, class = std::enable_if_t<std::is_void_v<std::invoke_result_t<F, const Tensor&>>>>
    unsigned register_hook(F f) const {
        return register_hook(GradHook([f](const Tensor& g) {
            f(g);
            return Tensor();
        }));
    }
    /// Removes the hook that register_hook returned `handle` for.
    void remove_hook(unsigned handle) const;
    /// Name shown in graph exports (modules set their parameter names here).
    const std::string& name() const;
    Tensor& set_name(std::string name);
    /// Counts in-place modifications of the underlying storage.
    uint64_t _version() const;

    // ---- copies and conversions -----------------------------------------------------------
    Tensor contiguous() const { return *this; }
    Tensor clone() const;
    Tensor to(ScalarType t) const;
    Tensor to(TensorOptions o) const { return to(o.dtype()); }
    bool is_same(const Tensor& other) const { return impl_ == other.impl_; }
    /// Replaces this tensor's data (storage, shape, dtype) by `new_data`'s while keeping the
    /// handle's identity, its grad and its hooks, as LibTorch's set_data: whoever holds this
    /// tensor (an optimizer, a module) sees the new data.
    void set_data(const Tensor& new_data) const;
    /// The identity of the tensor behind this handle (same for every copy of the handle), for
    /// keying state by tensor as LibTorch's unsafeGetTensorImpl(); never dereference it.
    TensorImpl* unsafeGetTensorImpl() const { return impl_.get(); }
    bool equal(const Tensor& other) const;
    bool allclose(const Tensor& other, double rtol = 1e-5, double atol = 1e-8) const;

    // ---- in-place (for optimizer updates and initialisation) ------------------------------
    // const, as LibTorch's: a Tensor is a handle, so `p.grad().zero_()` works on grad()'s
    // const reference and changes the shared data.
    Tensor& zero_() const;
    Tensor& fill_(Scalar value) const;
    Tensor& copy_(const Tensor& src) const;
    Tensor& add_(const Tensor& other, Scalar alpha = 1) const;
    Tensor& add_(Scalar other) const;
    Tensor& sub_(const Tensor& other, Scalar alpha = 1) const;
    Tensor& sub_(Scalar other) const;
    Tensor& mul_(const Tensor& other) const;
    Tensor& mul_(Scalar other) const;
    Tensor& div_(const Tensor& other) const;
    Tensor& div_(Scalar other) const;
    Tensor& addcmul_(const Tensor& a, const Tensor& b, Scalar value = 1) const;
    Tensor& addcdiv_(const Tensor& a, const Tensor& b, Scalar value = 1) const;
    Tensor& clamp_(Scalar min, Scalar max) const;
    Tensor& uniform_(double from = 0, double to = 1) const;
    Tensor& normal_(double mean = 0, double std = 1) const;
    Tensor& bernoulli_(double p) const;
    Tensor& operator+=(const Tensor& o) { return add_(o); }
    Tensor& operator+=(Scalar o) { return add_(o); }
    Tensor& operator-=(const Tensor& o) { return sub_(o); }
    Tensor& operator-=(Scalar o) { return sub_(o); }
    Tensor& operator*=(const Tensor& o) { return mul_(o); }
    Tensor& operator*=(Scalar o) { return mul_(o); }
    Tensor& operator/=(const Tensor& o) { return div_(o); }
    Tensor& operator/=(Scalar o) { return div_(o); }

    // ---- methods that mirror the free functions in ops.hpp --------------------------------
    Tensor add(const Tensor& o, Scalar alpha = 1) const;
    Tensor sub(const Tensor& o, Scalar alpha = 1) const;
    Tensor mul(const Tensor& o) const;
    Tensor div(const Tensor& o) const;
    Tensor add(Scalar o) const;
    Tensor sub(Scalar o) const;
    Tensor mul(Scalar o) const;
    Tensor div(Scalar o) const;
    Tensor neg() const;
    Tensor pow(Scalar exponent) const;
    Tensor exp() const;
    Tensor log() const;
    Tensor sqrt() const;
    Tensor abs() const;
    Tensor sin() const;
    Tensor cos() const;
    Tensor tanh() const;
    Tensor sigmoid() const;
    Tensor relu() const;
    Tensor square() const;
    Tensor clamp(Scalar min, Scalar max) const;
    Tensor clamp_min(Scalar min) const;
    Tensor clamp_max(Scalar max) const;

    Tensor matmul(const Tensor& o) const;
    Tensor mm(const Tensor& o) const;
    Tensor t() const;
    Tensor transpose(int64_t dim0, int64_t dim1) const;

    Tensor reshape(std::vector<int64_t> shape) const;
    Tensor view(std::vector<int64_t> shape) const;
    Tensor view_as(const Tensor& other) const { return view(other.sizes()); }
    Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
    Tensor squeeze() const;
    Tensor squeeze(int64_t dim) const;
    Tensor unsqueeze(int64_t dim) const;
    Tensor slice(int64_t dim = 0, int64_t start = 0, int64_t end = INT64_MAX, int64_t step = 1) const;
    Tensor select(int64_t dim, int64_t index) const;
    Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
    Tensor index_select(int64_t dim, const Tensor& index) const;
    Tensor expand(std::vector<int64_t> sizes) const;
    Tensor expand_as(const Tensor& other) const { return expand(other.sizes()); }
    /// `t[i]`: select(0, i), a view.
    Tensor operator[](int64_t index) const { return select(0, index); }

    Tensor sum() const;
    Tensor sum(int64_t dim, bool keepdim = false) const;
    Tensor sum(std::vector<int64_t> dims, bool keepdim = false) const;
    Tensor mean() const;
    Tensor mean(int64_t dim, bool keepdim = false) const;
    Tensor mean(std::vector<int64_t> dims, bool keepdim = false) const;
    Tensor max() const;
    std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;
    Tensor min() const;
    std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
    Tensor argmax() const;
    Tensor argmax(int64_t dim, bool keepdim = false) const;
    Tensor argmin() const;
    Tensor argmin(int64_t dim, bool keepdim = false) const;
    Tensor norm() const;

    Tensor softmax(int64_t dim) const;
    Tensor log_softmax(int64_t dim) const;

    Tensor eq(const Tensor& o) const;
    Tensor ne(const Tensor& o) const;
    Tensor gt(const Tensor& o) const;
    Tensor lt(const Tensor& o) const;
    Tensor ge(const Tensor& o) const;
    Tensor le(const Tensor& o) const;
    Tensor eq(Scalar o) const;
    Tensor ne(Scalar o) const;
    Tensor gt(Scalar o) const;
    Tensor lt(Scalar o) const;
    Tensor ge(Scalar o) const;
    Tensor le(Scalar o) const;

    [[noreturn]] static void throw_undefined();

private:
    friend TensorImpl& detail::impl(const Tensor& t);
    friend const std::shared_ptr<TensorImpl>& detail::impl_ptr(const Tensor& t);
    friend Tensor detail::wrap(std::shared_ptr<TensorImpl> impl);
    explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
    TensorImpl& impl() const;

    double item_double() const;
    int64_t item_long() const;
    void check_access(ScalarType wanted, const char* what) const;

    std::shared_ptr<TensorImpl> impl_;
};

/// What a Tensor handle points at: plain data whose invariants the library's ops keep. Only
/// the library reaches it (through detail::impl); users hold Tensor handles.
struct TensorImpl {
    std::shared_ptr<Storage> storage;
    int64_t offset = 0;  // in elements, into storage
    std::vector<int64_t> sizes;
    int64_t numel = 0;
    ScalarType dtype = kFloat32;
    bool requires_grad = false;
    bool retains_grad = false;
    std::shared_ptr<autograd::Node> grad_fn;  // null for leaves
    Tensor grad;
    std::vector<GradHook> hooks;  // leaf hooks; a non-leaf keeps them on its grad_fn
    std::string name;             // shown by graph export (modules name their parameters)

    TensorImpl() = default;
    TensorImpl(const TensorImpl&) = delete;
    TensorImpl& operator=(const TensorImpl&) = delete;
    ~TensorImpl();  // hands grad_fn to the iterative releaser: long chains must not recurse
};


// ---- inline accessors (here, where TensorImpl is complete) ------------------------------------
inline const std::vector<int64_t>& Tensor::sizes() const { return impl().sizes; }
inline int64_t Tensor::dim() const { return static_cast<int64_t>(impl().sizes.size()); }
inline int64_t Tensor::numel() const { return impl().numel; }
inline ScalarType Tensor::dtype() const { return impl().dtype; }
inline ScalarType Tensor::scalar_type() const { return impl().dtype; }
inline bool Tensor::requires_grad() const { return impl().requires_grad; }
inline bool Tensor::is_leaf() const { return impl().grad_fn == nullptr; }
inline const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const { return impl().grad_fn; }
inline bool Tensor::retains_grad() const { return impl().retains_grad; }
inline const std::string& Tensor::name() const { return impl().name; }
inline uint64_t Tensor::_version() const { return impl().storage->version; }
inline const Tensor& Tensor::grad() const { return impl().grad; }
inline Tensor& Tensor::mutable_grad() { return impl().grad; }
inline TensorImpl& Tensor::impl() const {
    if (!impl_) throw_undefined();
    return *impl_;
}
namespace detail {
inline TensorImpl& impl(const Tensor& t) { return t.impl(); }
inline const std::shared_ptr<TensorImpl>& impl_ptr(const Tensor& t) { return t.impl_; }
inline Tensor wrap(std::shared_ptr<TensorImpl> impl) { return Tensor(std::move(impl)); }
}  // namespace detail

/// Prints values (summarised when large), shape, dtype and the grad_fn.
std::ostream& operator<<(std::ostream& os, const Tensor& t);

/// "[2, 3]": how shapes appear in every message.
std::string shape_str(const std::vector<int64_t>& sizes);

using tensor_list = std::vector<Tensor>;

}  // namespace tapegrad
