#pragma once
// Tensor: a shared handle to storage, a shape, strides, a dtype, and the graph node that made it.
//
// As in LibTorch, a tensor is a window on a storage: element (i0, i1, ...) sits at
// storage_offset + i0 * stride(0) + i1 * stride(1) + ... View ops (transpose, select, slice,
// expand, view, ...) return a new window on the same storage, so writes through a view reach
// the tensor it was taken from. Ops that compute return fresh contiguous (row-major) tensors.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <new>
#include <optional>
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
class WeakTensor;
namespace indexing {
class TensorIndex;  // autograd/indexing.hpp
}  // namespace indexing

/// A gradient hook: receives the gradient flowing into a tensor and may return a replacement
/// (an undefined tensor keeps the gradient as it is).
using GradHook = std::function<Tensor(const Tensor&)>;

/// Hooks with stable handles: removing one frees its slot and leaves the others' handles valid.
class HookList {
public:
    unsigned add(GradHook hook);
    /// False when no hook has this handle.
    bool remove(unsigned handle);
    bool empty() const { return hooks_.empty(); }
    size_t size() const { return hooks_.size(); }
    /// Replaces each hook by one that does nothing (what it captured is freed).
    void disarm();
    template <class F>
    void for_each(F&& f) const {
        for (const auto& h : hooks_) f(h.second);
    }

private:
    std::vector<std::pair<unsigned, GradHook>> hooks_;
    unsigned next_ = 0;
};

/// A flat buffer of bytes shared by a tensor and its views, with the version counter they
/// share: every in-place write through any of them bumps it.
struct Storage {
    void* data = nullptr;
    int64_t nbytes = 0;
    uint64_t version = 0;                // bumped by every in-place op
    const char* last_inplace = nullptr;  // the op that bumped it last, for error messages
    explicit Storage(int64_t nbytes);
    ~Storage();
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;

private:
    // Up to kInlineBytes the elements live here, in the storage's own allocation: one malloc
    // and free fewer for every scalar and other small result.
    static constexpr int64_t kInlineBytes = 256;
    alignas(16) unsigned char inline_[kInlineBytes];
};

struct TensorImpl;

namespace detail {
/// A tensor's shape as sizes() returns it: a std::vector<int64_t> that also speaks LibTorch's
/// IntArrayRef (`x.sizes().vec()`, `slice`, `equals`, printing as "[2, 3]").
class Sizes : public std::vector<int64_t> {
public:
    Sizes() = default;
    explicit Sizes(std::vector<int64_t> v) : std::vector<int64_t>(std::move(v)) {}
    Sizes& operator=(const std::vector<int64_t>& v) {
        std::vector<int64_t>::operator=(v);
        return *this;
    }
    Sizes& operator=(std::vector<int64_t>&& v) {
        std::vector<int64_t>::operator=(std::move(v));
        return *this;
    }
    /// A copy as a plain std::vector, as IntArrayRef::vec().
    std::vector<int64_t> vec() const { return *this; }
    IntArrayRef slice(size_t start) const { return IntArrayRef(vec()).slice(start); }
    IntArrayRef slice(size_t start, size_t length) const {
        return IntArrayRef(vec()).slice(start, length);
    }
    bool equals(const IntArrayRef& o) const { return IntArrayRef(vec()) == o; }
};
/// "[2, 3]", as LibTorch prints x.sizes().
std::ostream& operator<<(std::ostream& os, const Sizes& sizes);

// The library's own access to a tensor's insides (users hold handles only).
TensorImpl& impl(const Tensor& t);
const std::shared_ptr<TensorImpl>& impl_ptr(const Tensor& t);
Tensor wrap(std::shared_ptr<TensorImpl> impl);

}  // namespace detail

/// A handle to an n-dimensional array that records the ops applied to it when it requires grad.
/// Copying a Tensor copies the handle, not the data (as in LibTorch).
class Tensor {
public:
    Tensor() = default;

    // ---- shape and type -------------------------------------------------------------------
    /// False for an empty handle, such as the grad of a tensor that has none yet.
    bool defined() const { return impl_ != nullptr; }
    /// The shape: a std::vector<int64_t> with IntArrayRef's `vec()`.
    const detail::Sizes& sizes() const;
    /// Size of dimension `d`; negative `d` counts from the end.
    int64_t size(int64_t d) const;
    int64_t dim() const;
    int64_t ndimension() const { return dim(); }
    int64_t numel() const;
    /// Steps in elements between neighbours along each dim.
    std::vector<int64_t> strides() const;
    int64_t stride(int64_t d) const;
    /// Where the first element sits in the storage, in elements.
    int64_t storage_offset() const;
    /// True when the elements lie row-major without gaps (strides of a fresh tensor).
    bool is_contiguous() const;
    ScalarType dtype() const;
    ScalarType scalar_type() const;
    int64_t element_size() const { return tapegrad::element_size(dtype()); }
    int64_t itemsize() const { return element_size(); }
    int64_t nbytes() const { return numel() * element_size(); }
    TensorOptions options() const { return TensorOptions(dtype()).requires_grad(false); }
    bool is_floating_point() const { return tapegrad::is_floating_point(dtype()); }
    /// Always the CPU: tapegrad has no other device.
    Device device() const { return Device(kCPU); }
    bool is_cpu() const { return true; }
    bool is_cuda() const { return false; }
    /// True when this tensor and `other` share storage (views of one another, or of a third).
    bool is_alias_of(const Tensor& other) const;
    /// True for a tensor made by a view op (it shares its base's storage).
    bool is_view() const;

    // ---- data access ----------------------------------------------------------------------
    /// The single element as T; throws unless numel() == 1.
    template <class T>
    T item() const {
        return item().to<T>();
    }
    /// The single element as a Scalar (`.toFloat()`, `.to<int>()`, ...); throws unless
    /// numel() == 1.
    Scalar item() const;
    /// Pointer to the first element (at storage_offset); T must match dtype(). The other
    /// elements sit at the strides(): read a non-contiguous tensor through contiguous().
    template <class T>
    T* data_ptr() const {
        check_access(detail::scalar_type_of<T>(), "data_ptr");
        return static_cast<T*>(raw_data());
    }
    void* data_ptr() const { return raw_data(); }
    void* raw_data() const;
    /// The elements as a std::vector<T>, converting from the stored dtype.
    template <class T>
    std::vector<T> to_vector() const;

    // ---- autograd -------------------------------------------------------------------------
    bool requires_grad() const;
    /// Marks a leaf as needing gradients (floating dtypes only); returns *this.
    Tensor& requires_grad_(bool requires_grad = true);
    bool is_leaf() const;
    /// The accumulated gradient; undefined until a backward reaches this tensor. Reading the
    /// (undefined) grad of a non-leaf that does not retain it warns once, as LibTorch does.
    const Tensor& grad() const;
    /// Writable gradient slot, e.g. `p.mutable_grad() = Tensor()` to release it.
    Tensor& mutable_grad();
    void set_grad(const Tensor& g);
    /// The node that made this tensor, or null for a leaf.
    const std::shared_ptr<autograd::Node>& grad_fn() const;
    /// Which output of grad_fn() this tensor is (0 but for custom Functions with several).
    uint32_t output_nr() const;
    /// requires_grad_(r) under LibTorch's Variable name.
    const Tensor& set_requires_grad(bool r) {
        requires_grad_(r);
        return *this;
    }
    /// Backpropagates from this tensor into the .grad() of every leaf that requires grad, or,
    /// when `inputs` is given, of those tensors only (leaves or not). retain_graph defaults to
    /// create_graph, as in LibTorch.
    void backward(const Tensor& gradient = Tensor(),
                  std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
                  const std::optional<std::vector<Tensor>>& inputs = std::nullopt) const;
    /// A tensor sharing this one's data, cut from the graph.
    Tensor detach() const;
    /// detach(), under LibTorch's Variable::data() name.
    Tensor data() const { return detach(); }
    Tensor& detach_();
    /// Keeps .grad() for this non-leaf tensor after backward.
    void retain_grad() const;
    bool retains_grad() const;
    /// Calls `hook(grad)` whenever a gradient for this tensor is computed; a defined return
    /// value replaces the gradient. Returns a handle for remove_hook, as LibTorch does.
    unsigned register_hook(GradHook hook) const;
    template <class F,
              class = std::enable_if_t<std::is_void_v<std::invoke_result_t<F, const Tensor&>>>>
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
    /// This tensor when it is contiguous already, else a contiguous copy (differentiable).
    Tensor contiguous() const;
    /// A contiguous copy (differentiable).
    Tensor clone() const;
    Tensor to(ScalarType t, bool non_blocking = false, bool copy = false) const;
    Tensor to(TensorOptions o, bool non_blocking = false, bool copy = false) const;
    Tensor to(Device d, bool non_blocking = false, bool copy = false) const;
    Tensor to(Device d, ScalarType t, bool non_blocking = false, bool copy = false) const;
    /// The same tensor (it is on the CPU already).
    Tensor cpu() const { return *this; }
    /// Raises: tapegrad has no CUDA backend.
    Tensor cuda() const;
    Tensor toType(ScalarType t) const { return to(t); }
    bool is_same(const Tensor& other) const { return impl_ == other.impl_; }
    /// Replaces this tensor's data (storage, shape, dtype) by `new_data`'s while keeping the
    /// handle's identity, its grad and its hooks, as LibTorch's set_data: whoever holds this
    /// tensor (an optimizer, a module) sees the new data.
    void set_data(const Tensor& new_data) const;
    /// A handle that does not keep this tensor alive (for hooks that refer to their tensor).
    WeakTensor weak() const;
    /// The identity of the tensor behind this handle (same for every copy of the handle), for
    /// keying state by tensor as LibTorch's unsafeGetTensorImpl(); never dereference it.
    TensorImpl* unsafeGetTensorImpl() const { return impl_.get(); }
    bool equal(const Tensor& other) const;
    bool allclose(const Tensor& other, double rtol = 1e-5, double atol = 1e-8) const;

    // ---- assignment -----------------------------------------------------------------------
    // As in LibTorch: assigning to a named tensor rebinds the handle; assigning to a temporary
    // view writes into the elements it shows, so `x[i] = y` and `x[0][2] = 5` change x.
    Tensor(const Tensor&) = default;
    Tensor(Tensor&&) noexcept = default;
    ~Tensor() = default;
    Tensor& operator=(const Tensor&) & = default;
    Tensor& operator=(Tensor&&) & noexcept = default;
    /// Copies `src` (broadcast, converted) into the elements of this temporary (a view).
    Tensor& operator=(const Tensor& src) &&;
    Tensor& operator=(Tensor&& src) &&;
    /// Fills the elements of this temporary (a view) with `v`.
    Tensor& operator=(Scalar v) &&;

    // ---- in-place ---------------------------------------------------------------------------
    // const, as LibTorch's: a Tensor is a handle, so `p.grad().zero_()` works on grad()'s
    // const reference and changes the shared data. On a tensor that is part of a graph they
    // are recorded; through a view they reach (and rewrite the history of) its base.
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
    Tensor& clamp_min_(Scalar min) const;
    Tensor& clamp_max_(Scalar max) const;
    Tensor& neg_() const;
    Tensor& pow_(Scalar exponent) const;
    Tensor& sqrt_() const;
    Tensor& exp_() const;
    Tensor& log_() const;
    Tensor& abs_() const;
    Tensor& relu_() const;
    Tensor& sigmoid_() const;
    Tensor& tanh_() const;
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
    Tensor log1p() const;
    Tensor expm1() const;
    Tensor clamp(Scalar min, Scalar max) const;
    Tensor clamp_min(Scalar min) const;
    Tensor clamp_max(Scalar max) const;

    Tensor matmul(const Tensor& o) const;
    Tensor mm(const Tensor& o) const;
    /// beta * *this + alpha * (mat1 @ mat2).
    Tensor addmm(const Tensor& mat1, const Tensor& mat2, Scalar beta = 1, Scalar alpha = 1) const;
    /// beta * *this + alpha * bmm(batch1, batch2).
    Tensor baddbmm(const Tensor& batch1, const Tensor& batch2, Scalar beta = 1,
                   Scalar alpha = 1) const;

    // views (share this tensor's storage; see ops.hpp)
    Tensor t() const;
    Tensor transpose(int64_t dim0, int64_t dim1) const;
    Tensor permute(IntArrayRef dims) const;
    Tensor movedim(int64_t source, int64_t destination) const;
    Tensor diagonal(int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1) const;
    Tensor unfold(int64_t dim, int64_t size, int64_t step) const;
    Tensor as_strided(std::vector<int64_t> size, std::vector<int64_t> stride,
                      std::optional<int64_t> storage_offset = std::nullopt) const;
    std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
    std::vector<Tensor> split_with_sizes(const std::vector<int64_t>& split_sizes,
                                         int64_t dim = 0) const;
    std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;
    std::vector<Tensor> unbind(int64_t dim = 0) const;

    Tensor reshape(IntArrayRef shape) const;
    Tensor view(IntArrayRef shape) const;
    Tensor view_as(const Tensor& other) const { return view(other.sizes()); }
    Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
    Tensor squeeze() const;
    Tensor squeeze(int64_t dim) const;
    Tensor unsqueeze(int64_t dim) const;
    Tensor slice(int64_t dim = 0, int64_t start = 0, int64_t end = INT64_MAX,
                 int64_t step = 1) const;
    Tensor select(int64_t dim, int64_t index) const;
    Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
    Tensor index_select(int64_t dim, const Tensor& index) const;
    Tensor expand(IntArrayRef sizes) const;
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
    /// The p-norm of all elements (p = inf, -inf, 0 or any real).
    Tensor norm(Scalar p) const;
    /// The p-norm over `dim`.
    Tensor norm(Scalar p, IntArrayRef dim, bool keepdim = false) const;
    /// Variance over `dim` (every dim when nullopt) dividing by N - correction.
    Tensor var(std::optional<IntArrayRef> dim, std::optional<int64_t> correction,
               bool keepdim = false) const;
    /// Variance over `dim`, with Bessel's correction when `unbiased`: `x.var(1)` reduces dim
    /// 1, as in LibTorch (an integer is a dim, never the unbiased flag).
    Tensor var(IntArrayRef dim, bool unbiased = true, bool keepdim = false) const;
    /// Variance of all elements (unbiased); var(false) divides by N.
    Tensor var() const { return var(std::nullopt, std::optional<int64_t>(1)); }
    template <class B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
    Tensor var(B unbiased) const {
        return var(std::nullopt, std::optional<int64_t>(unbiased ? 1 : 0));
    }
    /// Standard deviation: sqrt of var, with the same arguments.
    Tensor std(std::optional<IntArrayRef> dim, std::optional<int64_t> correction,
               bool keepdim = false) const;
    Tensor std(IntArrayRef dim, bool unbiased = true, bool keepdim = false) const;
    Tensor std() const { return std(std::nullopt, std::optional<int64_t>(1)); }
    template <class B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
    Tensor std(B unbiased) const {
        return std(std::nullopt, std::optional<int64_t>(unbiased ? 1 : 0));
    }

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
    /// In-place comparisons: each element becomes 1 where the comparison holds, 0 elsewhere,
    /// in this tensor's dtype; `o` must broadcast to this tensor's shape.
    Tensor& eq_(const Tensor& o) const;
    Tensor& ne_(const Tensor& o) const;
    Tensor& gt_(const Tensor& o) const;
    Tensor& lt_(const Tensor& o) const;
    Tensor& ge_(const Tensor& o) const;
    Tensor& le_(const Tensor& o) const;
    Tensor& eq_(Scalar o) const;
    Tensor& ne_(Scalar o) const;
    Tensor& gt_(Scalar o) const;
    Tensor& lt_(Scalar o) const;
    Tensor& ge_(Scalar o) const;
    Tensor& le_(Scalar o) const;

    // ---- indexing and ordering (autograd/indexing.hpp; ops.hpp has the free functions) -------
    /// Python's `x[...]`: a view for integers, Slice, None and Ellipsis (basic indexing), a copy
    /// when a tensor (int64 positions or a bool mask) is among the indices (advanced indexing).
    Tensor index(std::initializer_list<indexing::TensorIndex> indices) const;
    Tensor index(const std::vector<indexing::TensorIndex>& indices) const;
    /// Advanced indexing with one optional tensor per leading dim (nullopt: the whole dim).
    Tensor index(const std::vector<std::optional<Tensor>>& indices) const;
    /// Python's `x[...] = v`: writes v (broadcast) into the indexed elements; returns *this.
    Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& v) const;
    Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, Scalar v) const;
    Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, const Tensor& v) const;
    Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, Scalar v) const;
    /// Writes `values` at tensor indices (one optional per leading dim); with `accumulate`,
    /// adds them, so that repeated positions sum.
    Tensor& index_put_(const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
                       bool accumulate = false) const;
    Tensor index_put(const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
                     bool accumulate = false) const;
    /// `t[i]` for a 0-d integer tensor i: select(0, i), a view. Other tensors raise, as in
    /// LibTorch (use index({i})).
    Tensor operator[](const Tensor& index) const;
    Tensor masked_fill(const Tensor& mask, Scalar value) const;
    Tensor masked_fill(const Tensor& mask, const Tensor& value) const;
    Tensor& masked_fill_(const Tensor& mask, Scalar value) const;
    Tensor& masked_fill_(const Tensor& mask, const Tensor& value) const;
    Tensor masked_select(const Tensor& mask) const;
    Tensor index_add(int64_t dim, const Tensor& index, const Tensor& source,
                     Scalar alpha = 1) const;
    Tensor& index_add_(int64_t dim, const Tensor& index, const Tensor& source,
                       Scalar alpha = 1) const;
    Tensor index_copy(int64_t dim, const Tensor& index, const Tensor& source) const;
    Tensor& index_copy_(int64_t dim, const Tensor& index, const Tensor& source) const;
    Tensor index_fill(int64_t dim, const Tensor& index, Scalar value) const;
    Tensor& index_fill_(int64_t dim, const Tensor& index, Scalar value) const;
    Tensor gather(int64_t dim, const Tensor& index) const;
    Tensor scatter(int64_t dim, const Tensor& index, const Tensor& src) const;
    Tensor scatter(int64_t dim, const Tensor& index, Scalar value) const;
    Tensor& scatter_(int64_t dim, const Tensor& index, const Tensor& src) const;
    Tensor& scatter_(int64_t dim, const Tensor& index, Scalar value) const;
    Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;
    Tensor& scatter_add_(int64_t dim, const Tensor& index, const Tensor& src) const;
    Tensor take(const Tensor& index) const;
    Tensor nonzero() const;
    Tensor argwhere() const;
    std::tuple<Tensor, Tensor> sort(int64_t dim = -1, bool descending = false) const;
    std::tuple<Tensor, Tensor> sort(std::optional<bool> stable, int64_t dim = -1,
                                    bool descending = false) const;
    Tensor argsort(int64_t dim = -1, bool descending = false) const;
    std::tuple<Tensor, Tensor> topk(int64_t k, int64_t dim = -1, bool largest = true,
                                    bool sorted = true) const;
    std::tuple<Tensor, Tensor> kthvalue(int64_t k, int64_t dim = -1, bool keepdim = false) const;
    Tensor cumsum(int64_t dim, std::optional<ScalarType> dtype = std::nullopt) const;
    Tensor cumprod(int64_t dim, std::optional<ScalarType> dtype = std::nullopt) const;
    Tensor flip(IntArrayRef dims) const;
    Tensor roll(IntArrayRef shifts, IntArrayRef dims = {}) const;
    Tensor repeat(IntArrayRef repeats) const;
    Tensor repeat_interleave(int64_t repeats, std::optional<int64_t> dim = std::nullopt) const;
    Tensor repeat_interleave(const Tensor& repeats,
                             std::optional<int64_t> dim = std::nullopt) const;
    Tensor tril(int64_t diagonal = 0) const;
    Tensor triu(int64_t diagonal = 0) const;
    Tensor any() const;
    Tensor any(int64_t dim, bool keepdim = false) const;
    Tensor all() const;
    Tensor all(int64_t dim, bool keepdim = false) const;
    // ---- end of indexing and ordering ----------------------------------------------------------

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

namespace detail {
/// A short list of int64 kept inline up to 6 entries (a tensor's strides: no allocation for
/// the common ranks, since every op makes a tensor).
class DimVector {
public:
    DimVector() = default;
    explicit DimVector(size_t n, int64_t v = 0) { assign(n, v); }
    DimVector(const DimVector& o) { *this = o; }
    DimVector& operator=(const DimVector& o) {
        if (this != &o) {
            resize(o.size_);
            for (size_t i = 0; i < size_; ++i) data()[i] = o.data()[i];
        }
        return *this;
    }
    ~DimVector() { release(); }
    void assign(size_t n, int64_t v) {
        resize(n);
        for (size_t i = 0; i < n; ++i) data()[i] = v;
    }
    void assign(const std::vector<int64_t>& v) {
        resize(v.size());
        for (size_t i = 0; i < size_; ++i) data()[i] = v[i];
    }
    std::vector<int64_t> vec() const { return std::vector<int64_t>(begin(), end()); }
    bool operator==(const std::vector<int64_t>& v) const {
        if (v.size() != size_) return false;
        for (size_t i = 0; i < size_; ++i)
            if (data()[i] != v[i]) return false;
        return true;
    }
    bool operator!=(const std::vector<int64_t>& v) const { return !(*this == v); }
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    int64_t* data() { return heap_ ? heap_ : inline_; }
    const int64_t* data() const { return heap_ ? heap_ : inline_; }
    int64_t& operator[](size_t i) { return data()[i]; }
    int64_t operator[](size_t i) const { return data()[i]; }
    const int64_t* begin() const { return data(); }
    const int64_t* end() const { return data() + size_; }

private:
    static constexpr size_t kInline = 6;
    void resize(size_t n) {  // the entries are then written by the caller
        if (n > kInline && n > capacity_) {
            release();
            heap_ = new int64_t[n];
            capacity_ = n;
        }
        size_ = n;
    }
    void release() {
        delete[] heap_;
        heap_ = nullptr;
        capacity_ = 0;
    }
    int64_t inline_[kInline];  // entries past size_ are never read
    int64_t* heap_ = nullptr;
    size_t size_ = 0, capacity_ = 0;
};
}  // namespace detail

/// What a Tensor handle points at: plain data whose invariants the library's ops keep. Only
/// the library reaches it (through detail::impl); users hold Tensor handles.
struct TensorImpl {
    std::shared_ptr<Storage> storage;
    int64_t offset = 0;  // of the first element, in elements, into storage
    detail::Sizes sizes;
    detail::DimVector strides;  // in elements, one per dim
    int64_t numel = 0;
    ScalarType dtype = kFloat32;
    bool contiguous = true;  // strides are row-major for sizes (kept by set_geometry)
    bool requires_grad = false;
    bool retains_grad = false;
    // A view made by a view op: the tensor (never itself a view) whose storage it shows. An
    // in-place op through the view rewrites the base's history; a view whose base changed
    // since view_version rebuilds its own history from the base's (see autograd/view.cpp).
    std::shared_ptr<TensorImpl> base;
    bool view_from_no_grad = false;  // made with recording off: no in-place with recording on
    uint64_t view_version = 0;
    std::shared_ptr<autograd::Node> grad_fn;  // null for leaves
    uint32_t output_nr = 0;                   // which output of grad_fn this tensor is
    Tensor grad;
    HookList hooks;    // leaf hooks; a non-leaf keeps them on its grad_fn
    std::string name;  // shown by graph export (modules name their parameters)

    TensorImpl() = default;
    TensorImpl(const TensorImpl&) = delete;
    TensorImpl& operator=(const TensorImpl&) = delete;
    ~TensorImpl();  // hands grad_fn to the iterative releaser: long chains must not recurse

    /// Sets sizes and strides (row-major when `strides` is null), numel and the contiguous flag.
    void set_geometry(std::vector<int64_t> new_sizes, const int64_t* new_strides = nullptr);
};

// ---- inline accessors (here, where TensorImpl is complete) ------------------------------------
inline const detail::Sizes& Tensor::sizes() const {
    return impl().sizes;
}
inline int64_t Tensor::dim() const {
    return static_cast<int64_t>(impl().sizes.size());
}
inline int64_t Tensor::numel() const {
    return impl().numel;
}
inline ScalarType Tensor::dtype() const {
    return impl().dtype;
}
inline ScalarType Tensor::scalar_type() const {
    return impl().dtype;
}
inline bool Tensor::is_contiguous() const {
    return impl().contiguous;
}
inline int64_t Tensor::storage_offset() const {
    return impl().offset;
}
inline bool Tensor::retains_grad() const {
    return impl().retains_grad;
}
inline const std::string& Tensor::name() const {
    return impl().name;
}
inline uint64_t Tensor::_version() const {
    return impl().storage->version;
}
inline Tensor& Tensor::mutable_grad() {
    return impl().grad;
}
inline TensorImpl& Tensor::impl() const {
    if (!impl_) throw_undefined();
    return *impl_;
}
namespace detail {
inline TensorImpl& impl(const Tensor& t) {
    return t.impl();
}
inline const std::shared_ptr<TensorImpl>& impl_ptr(const Tensor& t) {
    return t.impl_;
}
inline Tensor wrap(std::shared_ptr<TensorImpl> impl) {
    return Tensor(std::move(impl));
}
}  // namespace detail

/// Prints as LibTorch does: the values (a "(1,.,.) = " block per matrix beyond 2-D, a common
/// "0.01 *" factor for mixed magnitudes), then "[ CPUFloatType{2,3} ]".
std::ostream& operator<<(std::ostream& os, const Tensor& t);

/// "[2, 3]": how shapes appear in every message.
std::string shape_str(const std::vector<int64_t>& sizes);

using tensor_list = std::vector<Tensor>;
/// LibTorch's TensorList (an ArrayRef<Tensor> there): a list of tensors as a parameter.
using TensorList = std::vector<Tensor>;

/// A handle that does not keep its tensor alive: what a hook should capture to refer to the
/// tensor it is registered on (capturing the Tensor itself makes a cycle that is never freed).
///   auto weak = w.weak();
///   w.register_hook([weak](const Tensor& g) { if (Tensor t = weak.lock(); t.defined()) ...; });
class WeakTensor {
public:
    WeakTensor() = default;
    /// The tensor, or an undefined one when it is gone.
    Tensor lock() const { return impl_.expired() ? Tensor() : detail::wrap(impl_.lock()); }
    bool expired() const { return impl_.expired(); }

private:
    friend class Tensor;
    explicit WeakTensor(std::weak_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
    std::weak_ptr<TensorImpl> impl_;
};

inline WeakTensor Tensor::weak() const {
    return WeakTensor(impl_);
}

/// Raised when a tensor's memory cannot be allocated; says how much and for which shape.
class OutOfMemory : public std::bad_alloc {
public:
    explicit OutOfMemory(std::string message) : message_(std::move(message)) {}
    const char* what() const noexcept override { return message_.c_str(); }

private:
    std::string message_;
};

}  // namespace tapegrad
