#include "data/idx.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/ops.hpp"
#include "tests/data/temp_files.hpp"

using namespace tapegrad;
using namespace tapegrad_test;
using tapegrad::data::read_idx;
using tapegrad::data::read_idx_images;
using tapegrad::data::read_idx_labels;

namespace {

// Two 2x3 images.
const Bytes kPixels = {0, 255, 51, 102, 1, 254, 10, 20, 30, 40, 50, 60};

Bytes image_file() {
    return idx_file(0x00000803, {2, 2, 3}, kPixels);
}

// The message read_idx raises for `path`.
std::string message(const std::string& path, const std::string& problem) {
    return "read_idx: " + path + ": " + problem;
}

}  // namespace

TEST_SUITE("data/idx") {
    TEST_CASE("read_idx_images: reads a plain file as float32 [n, rows * cols] scaled by 1/255") {
        TempDir dir;
        write_bytes(dir.file("images"), image_file());
        Tensor x = read_idx_images(dir.file("images"));
        CHECK(x.dtype() == kFloat32);
        CHECK(x.sizes() == std::vector<int64_t>{2, 6});
        std::vector<float> expected;
        for (uint8_t b : kPixels) expected.push_back(static_cast<float>(b) / 255.0f);
        CHECK(x.to_vector<float>() == expected);
    }

    TEST_CASE("read_idx_images: without scaling keeps the byte values") {
        TempDir dir;
        write_bytes(dir.file("images"), image_file());
        std::vector<float> expected(kPixels.begin(), kPixels.end());
        CHECK(read_idx_images(dir.file("images"), /*scale=*/false).to_vector<float>() == expected);
    }

    TEST_CASE("read_idx_images: recognises gzip by its magic bytes, whatever the file is called") {
        TempDir dir;
        write_gzip(dir.file("compressed.idx"), image_file());
        write_bytes(dir.file("plain.gz"), image_file());
        const std::vector<float> expected(kPixels.begin(), kPixels.end());
        CHECK(read_idx_images(dir.file("compressed.idx"), false).to_vector<float>() == expected);
        CHECK(read_idx_images(dir.file("plain.gz"), false).to_vector<float>() == expected);
    }

    TEST_CASE("read_idx_labels: reads labels as int64 [n]") {
        TempDir dir;
        write_gzip(dir.file("labels.gz"), idx_file(0x00000801, {4}, {9, 0, 3, 255}));
        Tensor y = read_idx_labels(dir.file("labels.gz"));
        CHECK(y.dtype() == kInt64);
        CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{9, 0, 3, 255});
    }

    TEST_CASE("read_idx: reads each element type big-endian, with the declared shape") {
        TempDir dir;
        SUBCASE("unsigned byte") {
            write_bytes(dir.file("f"), idx_file(0x00000802, {2, 2}, {1, 2, 200, 255}));
            Tensor t = read_idx(dir.file("f"));
            CHECK(t.sizes() == std::vector<int64_t>{2, 2});
            CHECK(t.to_vector<int64_t>() == std::vector<int64_t>{1, 2, 200, 255});
        }
        SUBCASE("signed byte") {
            write_bytes(dir.file("f"), idx_file(0x00000901, {3}, {0x7f, 0x80, 0xff}));
            CHECK(read_idx(dir.file("f")).to_vector<int64_t>() ==
                  std::vector<int64_t>{127, -128, -1});
        }
        SUBCASE("short") {
            write_bytes(dir.file("f"), idx_file(0x00000B01, {2}, {0x01, 0x02, 0xff, 0xfe}));
            CHECK(read_idx(dir.file("f")).to_vector<int64_t>() == std::vector<int64_t>{258, -2});
        }
        SUBCASE("int") {
            write_bytes(dir.file("f"), idx_file(0x00000C01, {2}, {0, 1, 0, 0, 0x80, 0, 0, 0}));
            CHECK(read_idx(dir.file("f")).to_vector<int64_t>() ==
                  std::vector<int64_t>{65536, -2147483648LL});
        }
        SUBCASE("float") {
            // 1.5f is 0x3fc00000, -2.0f is 0xc0000000
            write_bytes(dir.file("f"),
                        idx_file(0x00000D01, {2}, {0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0}));
            Tensor t = read_idx(dir.file("f"));
            CHECK(t.dtype() == kFloat32);
            CHECK(t.to_vector<float>() == std::vector<float>{1.5f, -2.0f});
        }
        SUBCASE("double") {
            // 0.25 is 0x3fd0000000000000
            write_bytes(dir.file("f"), idx_file(0x00000E01, {1}, {0x3f, 0xd0, 0, 0, 0, 0, 0, 0}));
            Tensor t = read_idx(dir.file("f"));
            CHECK(t.dtype() == kFloat64);
            CHECK(t.to_vector<double>() == std::vector<double>{0.25});
        }
    }

    TEST_CASE("read_idx: reads a file that declares zero samples") {
        TempDir dir;
        write_bytes(dir.file("f"), idx_file(0x00000803, {0, 28, 28}, {}));
        CHECK(read_idx_images(dir.file("f")).sizes() == std::vector<int64_t>{0, 784});
    }

    TEST_CASE("read_idx: rejects a missing file") {
        TempDir dir;
        const std::string path = dir.file("nothing");
        CHECK_THROWS_WITH_AS(read_idx(path),
                             message(path, "cannot open: No such file or directory").c_str(),
                             std::runtime_error);
    }

    TEST_CASE("read_idx: rejects a directory") {
        TempDir dir;
        CHECK_THROWS_WITH_AS(read_idx(dir.path()), message(dir.path(), "is a directory").c_str(),
                             std::runtime_error);
    }

    TEST_CASE("read_idx: rejects a file shorter than the magic number") {
        TempDir dir;
        write_bytes(dir.file("f"), {0, 0});
        CHECK_THROWS_WITH_AS(
            read_idx(dir.file("f")),
            message(dir.file("f"), "truncated: expected a 4-byte magic number, got 2 bytes")
                .c_str(),
            std::runtime_error);
    }

    TEST_CASE("read_idx: rejects a magic number that does not start with two zero bytes") {
        TempDir dir;
        write_text(dir.file("f"), "P5\n28 28\n255\n");
        CHECK_THROWS_WITH_AS(read_idx(dir.file("f")),
                             message(dir.file("f"),
                                     "not an IDX file: magic number 0x50350a32 does "
                                     "not start with two zero bytes")
                                 .c_str(),
                             std::runtime_error);
    }

    TEST_CASE("read_idx: rejects an unknown element type") {
        TempDir dir;
        write_bytes(dir.file("f"), idx_file(0x00000701, {1}, {0}));
        CHECK_THROWS_WITH_AS(
            read_idx(dir.file("f")),
            message(dir.file("f"), "unknown IDX element type 0x07 in magic number 0x00000701")
                .c_str(),
            std::runtime_error);
    }

    TEST_CASE("read_idx: rejects a magic number that declares no dimensions") {
        TempDir dir;
        write_bytes(dir.file("f"), idx_file(0x00000800, {}, {1}));
        CHECK_THROWS_WITH_AS(
            read_idx(dir.file("f")),
            message(dir.file("f"), "magic number 0x00000800 declares 0 dimensions").c_str(),
            std::runtime_error);
    }

    TEST_CASE("read_idx: rejects a file that ends inside the dimension sizes") {
        TempDir dir;
        Bytes bytes = idx_file(0x00000803, {2, 2, 3}, {});
        bytes.resize(10);
        write_bytes(dir.file("f"), bytes);
        CHECK_THROWS_WITH_AS(
            read_idx(dir.file("f")),
            message(dir.file("f"), "truncated: expected 12 bytes of dimension sizes, got 6")
                .c_str(),
            std::runtime_error);
    }

    TEST_CASE("read_idx: rejects a declared shape too large to hold") {
        TempDir dir;
        write_bytes(dir.file("f"),
                    idx_file(0x00000E03, {0xffffffffu, 0xffffffffu, 0xffffffffu}, {1, 2, 3}));
        CHECK_THROWS_WITH_AS(
            read_idx(dir.file("f")),
            message(dir.file("f"),
                    "declared shape [4294967295, 4294967295, 4294967295] is too large")
                .c_str(),
            std::runtime_error);
    }

    TEST_CASE("read_idx: rejects a plain file with less data than declared") {
        TempDir dir;
        Bytes bytes = image_file();
        bytes.resize(bytes.size() - 7);
        write_bytes(dir.file("f"), bytes);
        CHECK_THROWS_WITH_AS(
            read_idx(dir.file("f")),
            message(dir.file("f"), "truncated: expected 12 bytes of data, got 5").c_str(),
            std::runtime_error);
    }

    TEST_CASE("read_idx: rejects a whole gzip stream with less data than declared") {
        TempDir dir;
        Bytes bytes = image_file();
        bytes.resize(bytes.size() - 7);
        write_gzip(dir.file("f"), bytes);
        CHECK_THROWS_WITH_AS(
            read_idx(dir.file("f")),
            message(dir.file("f"), "truncated: expected 12 bytes of data, got 5").c_str(),
            std::runtime_error);
    }

    TEST_CASE("read_idx: rejects a plain file with bytes after the declared data") {
        TempDir dir;
        Bytes bytes = image_file();
        bytes.push_back(1);
        bytes.push_back(2);
        write_bytes(dir.file("f"), bytes);
        CHECK_THROWS_WITH_AS(
            read_idx(dir.file("f")),
            message(dir.file("f"), "expected 12 bytes of data, got 14 (trailing bytes)").c_str(),
            std::runtime_error);
    }

    TEST_CASE("read_idx: rejects a gzip file with bytes after the declared data") {
        TempDir dir;
        Bytes bytes = image_file();
        bytes.push_back(1);
        write_gzip(dir.file("f"), bytes);
        CHECK_THROWS_WITH_AS(
            read_idx(dir.file("f")),
            message(dir.file("f"), "expected 12 bytes of data, got more (trailing bytes)").c_str(),
            std::runtime_error);
    }

    TEST_CASE(
        "read_idx: refuses a gzip header whose shape the file cannot hold, before allocating") {
        // 16 MiB of pixels declared in a file of a few dozen bytes: this allocated 64 MiB of
        // float32 before finding the stream short
        TempDir dir;
        write_gzip(dir.file("f"), idx_file(0x00000803, {1, 4096, 4096}, {1, 2, 3}));
        const int64_t size = static_cast<int64_t>(std::filesystem::file_size(dir.file("f")));
        CHECK_THROWS_WITH_AS(
            read_idx_images(dir.file("f")),
            ("read_idx_images: " + dir.file("f") + ": declared shape [1, 4096, 4096] needs " +
             "16777216 bytes of data, more than a gzip file of " + std::to_string(size) +
             " bytes can hold (deflate expands at most 1032:1)")
                .c_str(),
            std::runtime_error);
    }

    TEST_CASE("read_idx: stops inflating a gzip bomb at the bytes its header needs") {
        // 64 MiB of zeros after 12 declared bytes: refused after reading 13, not 64 MiB
        TempDir dir;
        Bytes bytes = image_file();
        bytes.resize(bytes.size() + (size_t{1} << 26), 0);
        write_gzip(dir.file("f"), bytes);
        CHECK_THROWS_WITH_AS(
            read_idx(dir.file("f")),
            message(dir.file("f"), "expected 12 bytes of data, got more (trailing bytes)").c_str(),
            std::runtime_error);
    }

    TEST_CASE("read_idx: reads a highly compressed file that its header describes truly") {
        TempDir dir;
        write_gzip(dir.file("f"), idx_file(0x00000801, {1 << 20}, Bytes(size_t{1} << 20, 7)));
        CHECK(read_idx_labels(dir.file("f")).sum().item<int64_t>() == 7 << 20);
    }

    TEST_CASE("read_idx: rejects a gzip stream that is cut short") {
        TempDir dir;
        Bytes bytes = gzip(image_file());
        bytes.resize(bytes.size() - 10);  // loses the trailer and part of the deflate data
        write_bytes(dir.file("f"), bytes);
        CHECK_THROWS_WITH_AS(
            read_idx(dir.file("f")),
            message(dir.file("f"), "truncated: the gzip stream ends early").c_str(),
            std::runtime_error);
    }

    TEST_CASE("read_idx: rejects gzip data whose checksum does not match") {
        TempDir dir;
        Bytes bytes = gzip(image_file());
        bytes[bytes.size() - 8] ^= 0xff;  // the trailer is CRC-32, then the length
        write_bytes(dir.file("f"), bytes);
        CHECK_THROWS_WITH_AS(
            read_idx(dir.file("f")),
            message(dir.file("f"), "corrupt gzip data: incorrect data check").c_str(),
            std::runtime_error);
    }

    TEST_CASE(
        "read_idx: never crashes on a truncated or corrupted file, and raises for truncation") {
        TempDir dir;
        const std::string path = dir.file("f");
        for (bool compressed : {false, true}) {
            const Bytes whole = compressed ? gzip(image_file()) : image_file();
            for (size_t n = 0; n < whole.size(); ++n) {
                write_bytes(path, Bytes(whole.begin(), whole.begin() + static_cast<long>(n)));
                CHECK_THROWS_AS(read_idx(path), std::runtime_error);
            }
            // Flipped bits may still leave a valid file; all that is required is no crash and no
            // exception of another type.
            for (size_t i = 0; i < whole.size(); ++i) {
                for (uint8_t mask : {0x01, 0x80, 0xff}) {
                    Bytes bad = whole;
                    bad[i] ^= mask;
                    write_bytes(path, bad);
                    try {
                        read_idx(path);
                        read_idx_images(path);
                    } catch (const std::runtime_error&) {
                    } catch (const std::exception& e) {
                        FAIL_CHECK("byte " << i << " ^ " << int(mask) << ": " << e.what());
                    }
                }
            }
        }
    }

    TEST_CASE("read_idx_images: rejects a file that is not an IDX image file") {
        TempDir dir;
        write_bytes(dir.file("labels"), idx_file(0x00000801, {2}, {1, 2}));
        CHECK_THROWS_WITH_AS(read_idx_images(dir.file("labels")),
                             ("read_idx_images: " + dir.file("labels") +
                              ": bad magic number 0x00000801, expected 0x00000803 (IDX images: "
                              "unsigned bytes, 3 dimensions)")
                                 .c_str(),
                             std::runtime_error);
    }

    TEST_CASE("read_idx_labels: rejects a file that is not an IDX label file") {
        TempDir dir;
        write_bytes(dir.file("images"), image_file());
        CHECK_THROWS_WITH_AS(read_idx_labels(dir.file("images")),
                             ("read_idx_labels: " + dir.file("images") +
                              ": bad magic number 0x00000803, expected 0x00000801 (IDX labels: "
                              "unsigned bytes, 1 dimension)")
                                 .c_str(),
                             std::runtime_error);
    }
}
