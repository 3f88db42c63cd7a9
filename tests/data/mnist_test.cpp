// datasets::MNIST on small files written here, and on Debian's Fashion-MNIST against what
// LibTorch's MNIST reads from the same files (data_golden.txt); the Fashion-MNIST cases skip
// when the dataset-fashion-mnist package is not installed.
#include "data/mnist.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/ops.hpp"
#include "data/dataloader.hpp"
#include "data/fashion_mnist.hpp"
#include "tests/data/golden.hpp"
#include "tests/data/temp_files.hpp"

using namespace tapegrad;
using namespace tapegrad_test;
using tapegrad::data::datasets::MNIST;

namespace {

bool have_fashion_mnist() {
    if (std::filesystem::is_directory(data::kFashionMNISTDir)) return true;
    MESSAGE("skipped: " << data::kFashionMNISTDir
                        << " is missing (Debian package dataset-fashion-mnist)");
    return false;
}

std::string golden_line(const std::string& key) {
    const auto& lines = data_golden();
    const auto it = lines.find(key);
    REQUIRE(it != lines.end());
    return it->second.substr(1);  // after the space
}

}  // namespace

TEST_SUITE("data/mnist") {
    TEST_CASE("MNIST: reads a split as images [n, 1, rows, cols] in [0, 1] and int64 labels") {
        TempDir dir;
        write_mnist_split(dir, "train", 3, 4, 5, {7, 1, 3});
        write_mnist_split(dir, "t10k", 2, 4, 5, {2, 0}, /*compressed=*/false);
        MNIST train(dir.path());
        CHECK(train.is_train());
        CHECK(train.size() == 3);
        CHECK(train.images().sizes() == std::vector<int64_t>{3, 1, 4, 5});
        CHECK(train.images().dtype() == kFloat32);
        CHECK(train.targets().to_vector<int64_t>() == std::vector<int64_t>{7, 1, 3});
        data::Example<> e = train.get(2);
        CHECK(e.data.sizes() == std::vector<int64_t>{1, 4, 5});
        CHECK(e.data.to_vector<float>() == std::vector<float>(20, 2.0f / 255.0f));
        CHECK(e.target.dim() == 0);
        CHECK(e.target.item<int64_t>() == 3);
        MNIST test(dir.path(), MNIST::Mode::kTest);
        CHECK(!test.is_train());
        CHECK(test.targets().to_vector<int64_t>() == std::vector<int64_t>{2, 0});
    }

    TEST_CASE("MNIST: scales bytes to float32 exactly as LibTorch's MNIST does") {
        TempDir dir;
        Bytes pixels(256);
        for (int b = 0; b < 256; ++b) pixels[static_cast<size_t>(b)] = static_cast<uint8_t>(b);
        write_gzip(dir.file("train-images-idx3-ubyte.gz"),
                   idx_file(0x00000803, {1, 16, 16}, pixels));
        write_gzip(dir.file("train-labels-idx1-ubyte.gz"), idx_file(0x00000801, {1}, {0}));
        CHECK(MNIST(dir.path()).images().to_vector<float>() == golden_values<float>("pixel_scale"));
    }

    TEST_CASE("MNIST: names the folder and the file that is missing") {
        TempDir dir;
        write_mnist_split(dir, "train", 1, 2, 2, {0});
        CHECK_THROWS_WITH_AS(MNIST(dir.path(), MNIST::Mode::kTest),
                             ("MNIST: " + dir.path() +
                              ": missing t10k-images-idx3-ubyte (or t10k-images-idx3-ubyte.gz)")
                                 .c_str(),
                             std::runtime_error);
        CHECK_THROWS_WITH_AS(MNIST(dir.file("absent")),
                             ("MNIST: " + dir.file("absent") + ": no such directory").c_str(),
                             std::runtime_error);
    }

    TEST_CASE("MNIST: get refuses an index past the end") {
        TempDir dir;
        write_mnist_split(dir, "train", 2, 2, 2, {0, 1});
        MNIST ds(dir.path());
        CHECK_THROWS_WITH_AS(ds.get(2),
                             "MNIST::get: index 2 is out of range for a dataset of 2 samples",
                             std::invalid_argument);
    }

    TEST_CASE("MNIST: reads Debian's Fashion-MNIST as LibTorch reads it") {
        if (!have_fashion_mnist()) return;
        for (const auto mode : {MNIST::Mode::kTrain, MNIST::Mode::kTest}) {
            const std::string split = mode == MNIST::Mode::kTrain ? "train" : "test";
            CAPTURE(split);
            MNIST ds(data::kFashionMNISTDir, mode);
            CHECK(shape_str(ds.images().sizes()) ==
                  golden_line("mnist_" + split + "_images_sizes"));
            const double sum = ds.images().to(kFloat64).sum().item<double>();
            CHECK(sum == doctest::Approx(golden_values<double>("mnist_" + split + "_images_sum")[0])
                             .epsilon(1e-12));
            data::Example<> e = ds.get(7);
            CHECK(e.data.select(0, 0).select(0, 14).to_vector<float>() ==
                  golden_values<float>("mnist_" + split + "_example7_row14"));
            CHECK(e.target.item<int64_t>() ==
                  golden_values<int64_t>("mnist_" + split + "_example7_target")[0]);
        }
    }

    TEST_CASE("MNIST: Normalize + Stack + make_data_loader(workers 2) give LibTorch's batches") {
        if (!have_fashion_mnist()) return;
        namespace tdata = tapegrad::data;
        auto dataset = tdata::datasets::MNIST(tdata::kFashionMNISTDir)
                           .map(tdata::transforms::Normalize<>(0.2860, 0.3530))
                           .map(tdata::transforms::Stack<>());
        auto loader = tdata::make_data_loader<tdata::samplers::SequentialSampler>(
            std::move(dataset), tdata::DataLoaderOptions().batch_size(64).workers(2));
        int batches = 0;
        for (auto& batch : *loader) {
            const std::string name = "pipeline_batch" + std::to_string(batches);
            CHECK(shape_str(batch.data.sizes()) == golden_line(name + "_sizes"));
            CHECK(batch.data.to(kFloat64).sum().item<double>() ==
                  doctest::Approx(golden_values<double>(name + "_sum")[0]).epsilon(1e-9));
            CHECK(batch.data.select(0, 3).select(0, 0).select(0, 14).to_vector<float>() ==
                  golden_values<float>(name + "_image3_row14"));
            CHECK(batch.target.to_vector<int64_t>() == golden_values<int64_t>(name + "_targets"));
            if (++batches == 2) break;
        }
        CHECK(batches == 2);
    }
}
