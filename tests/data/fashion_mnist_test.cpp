#include "data/fashion_mnist.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/ops.hpp"
#include "tests/data/temp_files.hpp"

using namespace tapegrad;
using namespace tapegrad_test;
using tapegrad::data::FashionMNIST;
using tapegrad::data::load_fashion_mnist;

namespace {

void write_split(const TempDir& dir, const std::string& prefix, uint32_t n, uint32_t rows,
                 uint32_t cols, const Bytes& labels, bool compressed = true) {
    write_mnist_split(dir, prefix, n, rows, cols, labels, compressed);
}

std::string message(const std::string& where, const std::string& problem) {
    return "load_fashion_mnist: " + where + ": " + problem;
}

}  // namespace

TEST_SUITE("data/fashion_mnist") {
    TEST_CASE("load_fashion_mnist: loads both splits from a directory of gzip files") {
        TempDir dir;
        write_split(dir, "train", 3, 28, 28, {9, 0, 4});
        write_split(dir, "t10k", 2, 28, 28, {1, 2});
        FashionMNIST fm = load_fashion_mnist(dir.path());
        CHECK(fm.train.data().sizes() == std::vector<int64_t>{3, 784});
        CHECK(fm.train.targets().to_vector<int64_t>() == std::vector<int64_t>{9, 0, 4});
        CHECK(fm.test.data().sizes() == std::vector<int64_t>{2, 784});
        CHECK(fm.test.targets().to_vector<int64_t>() == std::vector<int64_t>{1, 2});
        // image 2 is all 2s, scaled to [0, 1]
        CHECK(fm.train.get(2).data.to_vector<float>() == std::vector<float>(784, 2.0f / 255.0f));
    }

    TEST_CASE("load_fashion_mnist: reads uncompressed files too") {
        TempDir dir;
        write_split(dir, "train", 1, 28, 28, {5}, /*compressed=*/false);
        write_split(dir, "t10k", 1, 28, 28, {6}, /*compressed=*/false);
        FashionMNIST fm = load_fashion_mnist(dir.path());
        CHECK(fm.train.targets().to_vector<int64_t>() == std::vector<int64_t>{5});
        CHECK(fm.test.targets().to_vector<int64_t>() == std::vector<int64_t>{6});
    }

    TEST_CASE("load_fashion_mnist: rejects a missing directory and names the Debian package") {
        TempDir dir;
        const std::string missing = dir.file("absent");
        CHECK_THROWS_WITH_AS(load_fashion_mnist(missing),
                             message(missing,
                                     "no such directory (install Debian's "
                                     "dataset-fashion-mnist package, or pass the directory "
                                     "that holds the files)")
                                 .c_str(),
                             std::runtime_error);
    }

    TEST_CASE("load_fashion_mnist: rejects a directory without one of the files") {
        TempDir dir;
        write_split(dir, "train", 1, 28, 28, {5});
        CHECK_THROWS_WITH_AS(load_fashion_mnist(dir.path()),
                             ("MNIST: " + dir.path() + ": missing t10k-images-idx3-ubyte (or " +
                              "t10k-images-idx3-ubyte.gz)")
                                 .c_str(),
                             std::runtime_error);
    }

    TEST_CASE("load_fashion_mnist: rejects image and label files that disagree on the count") {
        TempDir dir;
        write_split(dir, "train", 3, 28, 28, {1, 2});
        write_split(dir, "t10k", 1, 28, 28, {1});
        CHECK_THROWS_WITH_AS(
            load_fashion_mnist(dir.path()),
            ("MNIST: " + dir.path() + ": " + dir.file("train-images-idx3-ubyte.gz") +
             " holds 3 images but " + dir.file("train-labels-idx1-ubyte.gz") + " holds 2 labels")
                .c_str(),
            std::runtime_error);
    }

    TEST_CASE("load_fashion_mnist: rejects images that are not 28x28") {
        TempDir dir;
        write_split(dir, "train", 1, 20, 20, {1});
        write_split(dir, "t10k", 1, 28, 28, {1});
        CHECK_THROWS_WITH_AS(load_fashion_mnist(dir.path()),
                             message(dir.path(), "images are 20x20, expected 28x28").c_str(),
                             std::runtime_error);
    }

    TEST_CASE("load_fashion_mnist: rejects a label outside 0..9") {
        TempDir dir;
        write_split(dir, "train", 2, 28, 28, {1, 2});
        write_split(dir, "t10k", 2, 28, 28, {3, 10});
        CHECK_THROWS_WITH_AS(
            load_fashion_mnist(dir.path()),
            message(dir.path(), "label 10 of test sample 1 is outside 0..9").c_str(),
            std::runtime_error);
    }

    TEST_CASE("load_fashion_mnist: passes on the reader's error for a corrupt file") {
        TempDir dir;
        write_split(dir, "train", 1, 28, 28, {1});
        write_split(dir, "t10k", 1, 28, 28, {1});
        write_bytes(dir.file("t10k-labels-idx1-ubyte.gz"), {0, 0, 8, 1, 0});
        CHECK_THROWS_WITH_AS(load_fashion_mnist(dir.path()),
                             ("read_idx_labels: " + dir.file("t10k-labels-idx1-ubyte.gz") +
                              ": truncated: expected 4 bytes of dimension sizes, got 1")
                                 .c_str(),
                             std::runtime_error);
    }

    TEST_CASE("FashionMNIST: class_names names the ten classes in label order") {
        CHECK(FashionMNIST::class_names.size() == 10);
        CHECK(std::string(FashionMNIST::class_names[0]) == "T-shirt/top");
        CHECK(std::string(FashionMNIST::class_names[7]) == "Sneaker");
        CHECK(std::string(FashionMNIST::class_names[9]) == "Ankle boot");
    }

    TEST_CASE(
        "load_fashion_mnist: reads the installed dataset (skipped when it is not installed)") {
        if (!std::filesystem::is_directory(data::kFashionMNISTDir)) {
            MESSAGE("skipped: " << data::kFashionMNISTDir
                                << " is missing (Debian package dataset-fashion-mnist)");
            return;
        }
        FashionMNIST fm = load_fashion_mnist();
        CHECK(fm.train.size() == 60000);
        CHECK(fm.test.size() == 10000);
        CHECK(fm.train.data().sizes() == std::vector<int64_t>{60000, 784});
        CHECK(fm.train.data().min().item<float>() == 0.0f);
        CHECK(fm.train.data().max().item<float>() == 1.0f);
        // the test split is balanced: 1000 images of each class
        std::vector<int64_t> per_class(10, 0);
        for (int64_t y : fm.test.targets().to_vector<int64_t>())
            ++per_class[static_cast<size_t>(y)];
        CHECK(per_class == std::vector<int64_t>(10, 1000));
    }
}
