// Storage memory: small tensors keep their elements inside the storage, large freed blocks wait
// in tapegrad's cache for the next tensor of their size (autograd/allocator.cpp), within the
// limit the user sets.

#include <cmath>

#include "autograd/allocator.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;

namespace {
constexpr int64_t kLarge = 1 << 20;  // floats: a 4 MiB block, far above kMinCachedBytes

// Restores the default limit and an empty cache whatever a case leaves behind.
struct CleanCache {
    CleanCache() { allocator::empty_cache(); }
    ~CleanCache() {
        allocator::set_cache_limit(int64_t(1) << 30);
        allocator::empty_cache();
    }
};
}  // namespace

TEST_SUITE("allocator") {
    TEST_CASE("a freed large block is cached and handed to the next tensor of its size") {
        CleanCache clean;
        const void* first = nullptr;
        {
            Tensor a = empty({kLarge});
            first = a.data_ptr();
            CHECK(allocator::cached_bytes() == 0);
        }
        CHECK(allocator::cached_bytes() == kLarge * 4);
        Tensor b = zeros({kLarge});
        CHECK(b.data_ptr() == first);
        CHECK(allocator::cached_bytes() == 0);
        // the reused block holds what zeros wrote, not the old tensor's values
        CHECK(b.sum().item<float>() == 0.0f);
        CHECK(b.abs().max().item<float>() == 0.0f);
    }

    TEST_CASE("sizes are rounded to a page: a slightly different size reuses the block") {
        CleanCache clean;
        const void* first = nullptr;
        {
            Tensor a = empty({kLarge - 1});
            first = a.data_ptr();
        }
        Tensor b = ones({kLarge - 3});
        CHECK(b.data_ptr() == first);
        CHECK(b.sum().item<float>() == doctest::Approx(double(kLarge - 3)));
        Tensor c = empty({kLarge + 4096});  // another page count: a fresh block
        CHECK(c.data_ptr() != first);
    }

    TEST_CASE("small tensors are not cached") {
        CleanCache clean;
        { Tensor a = empty({1000}); }
        { Tensor s = full({1}, 2.5); }
        CHECK(allocator::cached_bytes() == 0);
    }

    TEST_CASE("the limit bounds the cache, 0 turns it off, empty_cache frees it") {
        CleanCache clean;
        allocator::set_cache_limit(6 << 20);
        {
            Tensor a = empty({kLarge}), b = empty({kLarge});  // 8 MiB in all
        }
        CHECK(allocator::cached_bytes() == kLarge * 4);  // the second did not fit
        allocator::set_cache_limit(0);
        CHECK(allocator::cache_limit() == 0);
        CHECK(allocator::cached_bytes() == 0);  // lowering the limit frees what is above it
        { Tensor a = empty({kLarge}); }
        CHECK(allocator::cached_bytes() == 0);
        allocator::set_cache_limit(int64_t(1) << 30);
        { Tensor a = empty({kLarge}); }
        CHECK(allocator::cached_bytes() == kLarge * 4);
        allocator::empty_cache();
        CHECK(allocator::cached_bytes() == 0);
    }

    TEST_CASE("a training loop's steps reuse their blocks, with unchanged results") {
        CleanCache clean;
        // three SGD steps on a 512 x 512 weight (1 MiB blocks, all above the cache's minimum)
        const auto losses = [] {
            manual_seed(3);
            Tensor w = randn({512, 512}).requires_grad_();
            const Tensor x = randn({512, 512});
            std::vector<float> out;
            for (int step = 0; step < 3; ++step) {
                Tensor loss = relu(x.matmul(w)).pow(2).mean();
                loss.backward();
                NoGradGuard no_grad;
                w.sub_(w.grad() * 0.1);
                w.grad().zero_();
                out.push_back(loss.item<float>());
            }
            return out;
        };
        const std::vector<float> cached = losses();
        CHECK(allocator::cached_bytes() > 0);  // the steps' temporaries went to the cache
        allocator::set_cache_limit(0);
        const std::vector<float> uncached = losses();
        CHECK(allocator::cached_bytes() == 0);
        CHECK(cached == uncached);  // to the bit
    }

    TEST_CASE("small storages hold their elements inline, and views of them still share it") {
        Tensor a = arange(64, TensorOptions(kFloat32));  // 256 bytes: inline
        Tensor v = a.slice(0, 8, 16);
        v.fill_(-1.0);
        CHECK(a[8].item<float>() == -1.0f);
        CHECK(a[16].item<float>() == 16.0f);
        CHECK(static_cast<const float*>(v.data_ptr()) ==
              static_cast<const float*>(a.data_ptr()) + 8);
        Tensor b = a.clone();
        CHECK(b.data_ptr() != a.data_ptr());
        CHECK(b.equal(a));
    }
}

TEST_SUITE("allocator") {
    TEST_CASE("zero_ clears a reused block, and fill_(-0.0) keeps the sign of zero") {
        CleanCache clean;
        { Tensor a = full({kLarge}, 3.0); }
        Tensor b = empty({kLarge});  // the block that held the 3s
        b.zero_();
        CHECK(b.abs().max().item<float>() == 0.0f);
        b.fill_(-0.0);
        CHECK(std::signbit(b[kLarge - 1].item<float>()));
        Tensor i = full({kLarge}, 7, TensorOptions(kInt64));
        i.zero_();
        CHECK(i.abs().max().item<int64_t>() == 0);
    }
}
