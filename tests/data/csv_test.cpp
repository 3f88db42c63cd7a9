#include "data/csv.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/ops.hpp"
#include "tests/data/temp_files.hpp"

using namespace tapegrad;
using namespace tapegrad_test;
using tapegrad::data::CsvOptions;
using tapegrad::data::read_csv;
using tapegrad::data::TensorDataset;

namespace {

// Writes `text` to a file in `dir` and returns its path.
std::string csv_file(const TempDir& dir, const std::string& text) {
    const std::string path = dir.file("data.csv");
    write_text(path, text);
    return path;
}

}  // namespace

TEST_SUITE("data/csv") {
    TEST_CASE("read_csv: reads features as float32 and an integer label column as int64") {
        TempDir dir;
        TensorDataset ds = read_csv(csv_file(dir, "a,b,label\n1.5,-2,0\n3,4e1,2\n"));
        CHECK(ds.data().dtype() == kFloat32);
        CHECK(ds.data().sizes() == std::vector<int64_t>{2, 2});
        CHECK(ds.data().to_vector<float>() == std::vector<float>{1.5f, -2.0f, 3.0f, 40.0f});
        CHECK(ds.targets().dtype() == kInt64);
        CHECK(ds.targets().to_vector<int64_t>() == std::vector<int64_t>{0, 2});
    }

    TEST_CASE("read_csv: a label column with any non-integer gives float32 targets") {
        TempDir dir;
        TensorDataset ds = read_csv(csv_file(dir, "x,y\n1,3\n2,0.5\n"));
        CHECK(ds.targets().dtype() == kFloat32);
        CHECK(ds.targets().to_vector<float>() == std::vector<float>{3.0f, 0.5f});
    }

    TEST_CASE("read_csv: takes the label from a chosen column, counted from 0 or from the end") {
        TempDir dir;
        const std::string path = csv_file(dir, "y,a,b\n7,1,2\n8,3,4\n");
        for (int64_t column : {0, -3}) {
            TensorDataset ds = read_csv(path, CsvOptions().label_column(column));
            CHECK(ds.targets().to_vector<int64_t>() == std::vector<int64_t>{7, 8});
            CHECK(ds.data().to_vector<float>() == std::vector<float>{1, 2, 3, 4});
        }
        TensorDataset middle = read_csv(path, CsvOptions().label_column(1));
        CHECK(middle.targets().to_vector<int64_t>() == std::vector<int64_t>{1, 3});
        CHECK(middle.data().to_vector<float>() == std::vector<float>{7, 2, 8, 4});
    }

    TEST_CASE(
        "read_csv: accepts another delimiter, no header, padding, CRLF, blank lines, quotes "
        "and a leading plus") {
        TempDir dir;
        const std::string path = csv_file(dir, "\r\n 1 ;\"2\"; +3 \r\n\n4;5;-6\r\n\n");
        TensorDataset ds = read_csv(path, CsvOptions().header(false).delimiter(';'));
        CHECK(ds.data().to_vector<float>() == std::vector<float>{1, 2, 4, 5});
        CHECK(ds.targets().to_vector<int64_t>() == std::vector<int64_t>{3, -6});
    }

    TEST_CASE("read_csv: reads files whose lines end in a lone CR (old Mac line ends)") {
        // these were read as one line: "no data rows after the header"
        TempDir dir;
        TensorDataset ds = read_csv(csv_file(dir, "a,b,label\r1,2,0\r3,4,1\r\r5,6,0"));
        CHECK(ds.data().to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5, 6});
        CHECK(ds.targets().to_vector<int64_t>() == std::vector<int64_t>{0, 1, 0});
        // line numbers in messages count CR-ended lines too
        const std::string bad = csv_file(dir, "a,b,label\r1,2,0\r3,x,1\r");
        CHECK_THROWS_WITH_AS(read_csv(bad),
                             ("read_csv: " + bad + ":3: column 2: 'x' is not a number").c_str(),
                             std::runtime_error);
    }

    TEST_CASE("read_csv: a CRLF split across the reader's chunks is one line end") {
        TempDir dir;
        // the header pads the file so that the CR of the first row ends a 64 KiB chunk
        std::string text = "a,label" + std::string(65536 - 7 - 5, ' ') + "\n1,0";
        text += "\r\n2,1\r\n";
        TensorDataset ds = read_csv(csv_file(dir, text));
        CHECK(ds.targets().to_vector<int64_t>() == std::vector<int64_t>{0, 1});
    }

    TEST_CASE("read_csv: rejects a row with the wrong number of columns") {
        TempDir dir;
        const std::string path =
            csv_file(dir,
                     "a,b,c,d,e\n1,2,3,4,5\n1,2,3,4,5\n\n1,2,3,4,5\n1,2,3,4,5\n"
                     "1,2,3,4\n");
        CHECK_THROWS_WITH_AS(read_csv(path),
                             ("read_csv: " + path + ":7: expected 5 columns, got 4").c_str(),
                             std::runtime_error);
    }

    TEST_CASE("read_csv: rejects a field that is not a number") {
        TempDir dir;
        const std::string path = csv_file(dir, "a,b,c\n1,2,3\n1,abc,3\n");
        CHECK_THROWS_WITH_AS(read_csv(path),
                             ("read_csv: " + path + ":3: column 2: 'abc' is not a number").c_str(),
                             std::runtime_error);
    }

    TEST_CASE("read_csv: rejects an empty field") {
        TempDir dir;
        const std::string path = csv_file(dir, "a,b,c\n1,,3\n");
        CHECK_THROWS_WITH_AS(read_csv(path),
                             ("read_csv: " + path + ":2: column 2: empty field").c_str(),
                             std::runtime_error);
    }

    TEST_CASE("read_csv: rejects a number outside the range of float32") {
        TempDir dir;
        const std::string path = csv_file(dir, "a,b\n1e39,3\n");
        CHECK_THROWS_WITH_AS(
            read_csv(path),
            ("read_csv: " + path + ":2: column 1: '1e39' is out of range for float32").c_str(),
            std::runtime_error);
    }

    TEST_CASE("read_csv: rejects a label column the file does not have") {
        TempDir dir;
        const std::string path = csv_file(dir, "a,b,c\n1,2,3\n");
        CHECK_THROWS_WITH_AS(
            read_csv(path, CsvOptions().label_column(3)),
            ("read_csv: " + path + ": label column 3 is out of range for 3 columns").c_str(),
            std::invalid_argument);
    }

    TEST_CASE("read_csv: rejects a file with a single column") {
        TempDir dir;
        const std::string path = csv_file(dir, "a\n1\n");
        CHECK_THROWS_WITH_AS(
            read_csv(path),
            ("read_csv: " + path + ":1: expected at least 2 columns (features and a label), got 1")
                .c_str(),
            std::runtime_error);
    }

    TEST_CASE("read_csv: rejects an empty file") {
        TempDir dir;
        const std::string path = csv_file(dir, "\n  \n");
        CHECK_THROWS_WITH_AS(read_csv(path), ("read_csv: " + path + ": the file is empty").c_str(),
                             std::runtime_error);
    }

    TEST_CASE("read_csv: rejects a header without data rows") {
        TempDir dir;
        const std::string path = csv_file(dir, "a,b\n");
        CHECK_THROWS_WITH_AS(read_csv(path),
                             ("read_csv: " + path + ": no data rows after the header").c_str(),
                             std::runtime_error);
    }

    TEST_CASE("read_csv: rejects a missing file") {
        TempDir dir;
        const std::string path = dir.file("absent.csv");
        CHECK_THROWS_WITH_AS(
            read_csv(path),
            ("read_csv: " + path + ": cannot open: No such file or directory").c_str(),
            std::runtime_error);
    }

    TEST_CASE("read_csv: rejects a directory") {
        TempDir dir;
        CHECK_THROWS_WITH_AS(read_csv(dir.path()),
                             ("read_csv: " + dir.path() + ": is a directory").c_str(),
                             std::runtime_error);
    }

    TEST_CASE("read_csv: shows an unprintable or long field shortened in the message") {
        TempDir dir;
        const std::string path =
            csv_file(dir, "a,b\n1," + std::string("\x01\x02", 2) + std::string(50, 'z') + "\n");
        CHECK_THROWS_WITH_AS(read_csv(path),
                             ("read_csv: " + path + ":2: column 2: '??" + std::string(38, 'z') +
                              "...' is not a number")
                                 .c_str(),
                             std::runtime_error);
    }

    TEST_CASE("read_csv: never crashes on binary junk, and raises std::runtime_error") {
        TempDir dir;
        Bytes junk;
        uint32_t state = 12345;
        for (int i = 0; i < 4096; ++i) {
            state = state * 1664525u + 1013904223u;
            junk.push_back(static_cast<uint8_t>(state >> 24));
        }
        const std::string path = dir.file("junk.csv");
        for (size_t cut : {size_t{1}, size_t{17}, size_t{300}, junk.size()}) {
            write_bytes(path, Bytes(junk.begin(), junk.begin() + static_cast<long>(cut)));
            CHECK_THROWS_AS(read_csv(path), std::runtime_error);
        }
    }
}
