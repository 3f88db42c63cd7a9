// Loaders with worker threads. Also built alone as test_data_threads for the ThreadSanitizer
// job (.ci/run). No case depends on timing: where a case waits for the workers, a correct loader
// gets there at once, and the 60 s bound only turns a broken one's hang into a failure.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "autograd/ops.hpp"
#include "data/dataloader.hpp"

using namespace tapegrad;
using tapegrad::data::DataLoaderOptions;
using Example = tapegrad::data::Example<>;

namespace {

constexpr auto kPatience = std::chrono::seconds(60);

// What the threads of one test share: how many get()s ran on which threads, how many copies of
// the dataset are alive, and a gate that get() may wait at.
struct Probe {
    std::mutex mutex;
    std::condition_variable changed;
    std::set<std::thread::id> threads;
    int loaded = 0;      // examples loaded so far
    int inside = 0;      // threads inside get() right now
    int max_inside = 0;  // the most at once
    int meet = 0;        // get() waits until this many threads are inside at once (0: no wait)
    std::atomic<int> copies{0};
    int fail_at = -1;  // get(fail_at) throws
};

// Sample i is data [i] (float32) and target i; every get() reports to the probe.
class ProbedDataset : public data::Dataset<ProbedDataset> {
public:
    ProbedDataset(size_t n, std::shared_ptr<Probe> probe) : n_(n), probe_(std::move(probe)) {
        ++probe_->copies;
    }
    ProbedDataset(const ProbedDataset& o) : n_(o.n_), probe_(o.probe_) { ++probe_->copies; }
    ProbedDataset& operator=(const ProbedDataset&) = delete;
    ~ProbedDataset() override { --probe_->copies; }

    Example get(size_t index) override {
        std::unique_lock<std::mutex> lock(probe_->mutex);
        probe_->threads.insert(std::this_thread::get_id());
        ++probe_->inside;
        probe_->max_inside = std::max(probe_->max_inside, probe_->inside);
        probe_->changed.notify_all();
        if (probe_->meet > 0) {
            probe_->changed.wait_for(lock, kPatience,
                                     [&] { return probe_->max_inside >= probe_->meet; });
        }
        --probe_->inside;
        ++probe_->loaded;
        probe_->changed.notify_all();
        if (static_cast<int>(index) == probe_->fail_at) {
            throw std::runtime_error("cannot decode sample " + std::to_string(index));
        }
        return {tensor({static_cast<double>(index)}), tensor(static_cast<int64_t>(index))};
    }
    optional<size_t> size() const override { return n_; }

private:
    size_t n_;
    std::shared_ptr<Probe> probe_;
};

// Like MNIST: every example is a view into one shared tensor of images [n, 1, 4, 4].
class ImagesDataset : public data::Dataset<ImagesDataset> {
public:
    ImagesDataset() : images_(randn({64, 1, 4, 4})), labels_(arange(64)) {}
    Example get(size_t index) override {
        const auto i = static_cast<int64_t>(index);
        return {images_.select(0, i), labels_.select(0, i)};
    }
    optional<size_t> size() const override { return 64; }

private:
    Tensor images_, labels_;
};

template <class Loader>
std::vector<std::vector<int64_t>> all_batches(Loader& loader) {
    std::vector<std::vector<int64_t>> out;
    for (auto& batch : loader) out.push_back(batch.target.template to_vector<int64_t>());
    return out;
}

}  // namespace

TEST_SUITE("data/loader_threads") {
    TEST_CASE("make_data_loader: workers yield the same batches in the same order as none") {
        auto probe = std::make_shared<Probe>();
        auto stacked = [&] { return ProbedDataset(103, probe).map(data::transforms::Stack<>()); };
        for (const bool random : {false, true}) {
            CAPTURE(random);
            std::vector<std::vector<int64_t>> by_workers[3];
            for (int workers : {0, 1, 3}) {
                manual_seed(21);
                const auto options = DataLoaderOptions().batch_size(8).workers(workers);
                if (random) {
                    auto loader = data::make_data_loader(stacked(), options);
                    by_workers[workers == 3 ? 2 : workers] = all_batches(*loader);
                } else {
                    auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
                        stacked(), options);
                    by_workers[workers == 3 ? 2 : workers] = all_batches(*loader);
                }
            }
            CHECK(by_workers[0].size() == 13);
            CHECK(by_workers[1] == by_workers[0]);
            CHECK(by_workers[2] == by_workers[0]);
        }
    }

    TEST_CASE("make_data_loader: workers(2) loads in two threads at once, none the consumer's") {
        auto probe = std::make_shared<Probe>();
        probe->meet = 2;  // each get() waits until two threads are inside get() together
        auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
            ProbedDataset(8, probe).map(data::transforms::Stack<>()),
            DataLoaderOptions().batch_size(2).workers(2));
        int batches = 0;
        for (auto& batch : *loader) {
            CHECK(batch.data.size(0) == 2);
            ++batches;
        }
        CHECK(batches == 4);
        std::lock_guard<std::mutex> lock(probe->mutex);
        CHECK(probe->max_inside == 2);
        CHECK(probe->threads.size() == 2);
        CHECK(probe->threads.count(std::this_thread::get_id()) == 0);
    }

    TEST_CASE("make_data_loader: workers load ahead while the consumer holds a batch") {
        auto probe = std::make_shared<Probe>();
        auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
            ProbedDataset(40, probe).map(data::transforms::Stack<>()),
            DataLoaderOptions().batch_size(4).workers(2));  // up to 4 batches ahead
        auto it = loader->begin();
        CHECK(it->target.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3});
        // the consumer sits on batch 0; the workers load batches 1 to 4 into the 4 slots
        std::unique_lock<std::mutex> lock(probe->mutex);
        CHECK(probe->changed.wait_for(lock, kPatience, [&] { return probe->loaded >= 20; }));
        CHECK(probe->loaded == 20);  // and no further than max_jobs allows
    }

    TEST_CASE("make_data_loader: an exception in a worker reaches the consumer with its message") {
        auto probe = std::make_shared<Probe>();
        probe->fail_at = 9;
        auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
            ProbedDataset(20, probe).map(data::transforms::Stack<>()),
            DataLoaderOptions().batch_size(4).workers(2));
        std::vector<int64_t> before;
        try {
            for (auto& batch : *loader) before.push_back(batch.target[0].item<int64_t>());
            FAIL("no exception reached the consumer");
        } catch (const data::WorkerException& e) {
            CHECK(std::string(e.what()) ==
                  "Caught exception in DataLoader worker thread. Original message: cannot decode "
                  "sample 9");
            CHECK_THROWS_WITH_AS(std::rethrow_exception(e.original_exception),
                                 "cannot decode sample 9", std::runtime_error);
        }
        CHECK(before == std::vector<int64_t>{0, 4});  // at the batch it belongs to
    }

    TEST_CASE("make_data_loader: destroying a loader mid-epoch joins its workers") {
        auto probe = std::make_shared<Probe>();
        {
            auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
                ProbedDataset(1000, probe).map(data::transforms::Stack<>()),
                DataLoaderOptions().batch_size(10).workers(3));
            auto it = loader->begin();
            ++it;
            CHECK(it->target[0].item<int64_t>() == 10);
            CHECK(probe->copies.load() >= 3);  // one per worker (and the loader's own)
        }
        // every worker has finished and dropped its copy of the dataset
        CHECK(probe->copies.load() == 0);
        std::lock_guard<std::mutex> lock(probe->mutex);
        CHECK(probe->inside == 0);
        CHECK(probe->loaded < 1000);
    }

    TEST_CASE("make_data_loader: a new epoch mid-way drops what the last one left in flight") {
        auto probe = std::make_shared<Probe>();
        auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
            ProbedDataset(30, probe).map(data::transforms::Stack<>()),
            DataLoaderOptions().batch_size(5).workers(2));
        for (auto& batch : *loader) {
            CHECK(batch.target[0].item<int64_t>() == 0);
            break;
        }
        CHECK(all_batches(*loader).size() == 6);
        CHECK(all_batches(*loader).front() == std::vector<int64_t>{0, 1, 2, 3, 4});
    }

    TEST_CASE("make_data_loader: without enforce_ordering every batch still arrives once") {
        auto probe = std::make_shared<Probe>();
        auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
            ProbedDataset(50, probe).map(data::transforms::Stack<>()),
            DataLoaderOptions().batch_size(5).workers(3).enforce_ordering(false));
        std::vector<int64_t> seen;
        for (auto& batch : *loader) {
            for (int64_t t : batch.target.to_vector<int64_t>()) seen.push_back(t);
        }
        std::sort(seen.begin(), seen.end());
        std::vector<int64_t> expected(50);
        std::iota(expected.begin(), expected.end(), int64_t{0});
        CHECK(seen == expected);
    }

    TEST_CASE("make_data_loader: workers share the images and Normalize's statistics safely") {
        manual_seed(4);
        const ImagesDataset images;  // each loader copies it: the copies share the tensors
        auto pipeline = [&] {
            return ImagesDataset(images)
                .map(data::transforms::Normalize<>(0.5, 2.0))
                .map(data::transforms::Stack<>());
        };
        std::vector<Tensor> serial, threaded;
        auto serial_loader = data::make_data_loader<data::samplers::SequentialSampler>(
            pipeline(), DataLoaderOptions().batch_size(5));
        for (auto& batch : *serial_loader) serial.push_back(batch.data);
        auto threaded_loader = data::make_data_loader<data::samplers::SequentialSampler>(
            pipeline(), DataLoaderOptions().batch_size(5).workers(3));
        for (auto& batch : *threaded_loader) threaded.push_back(batch.data);
        REQUIRE(serial.size() == 13);
        REQUIRE(threaded.size() == 13);
        for (size_t i = 0; i < serial.size(); ++i) CHECK(threaded[i].equal(serial[i]));
    }

    TEST_CASE("DataLoader: workers and shuffle give the batches of workers(0)") {
        data::TensorDataset ds(arange(60).to(kFloat32).reshape({30, 2}), arange(30));
        data::DataLoader serial(ds, DataLoaderOptions(4).shuffle(true).seed(3));
        data::DataLoader threaded(ds, DataLoaderOptions(4).shuffle(true).seed(3).workers(2));
        for (int epoch = 0; epoch < 2; ++epoch) CHECK(all_batches(threaded) == all_batches(serial));
    }

    TEST_CASE("DataLoader: rejects workers and max_jobs out of range") {
        data::TensorDataset ds(zeros({4, 2}), arange(4));
        CHECK_THROWS_WITH_AS(data::DataLoader(ds, DataLoaderOptions(2).workers(-1)),
                             "DataLoader: workers must be in [0, 1024], got -1",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(data::DataLoader(ds, DataLoaderOptions(2).workers(2).max_jobs(0)),
                             "DataLoader: max_jobs must be in [1, 65536] with workers, got 0",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            data::DataLoader(ds,
                             DataLoaderOptions(2).workers(1).timeout(std::chrono::milliseconds(0))),
            "DataLoader: timeout must be positive, got 0 ms", std::invalid_argument);
    }
}
