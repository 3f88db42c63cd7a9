// libFuzzer target for read_csv. Every input must give a dataset whose data and targets agree
// in length, or a std::runtime_error (bad content) or std::invalid_argument (a label column
// the file does not have); anything else is a bug. Each input is read with the default options
// and again without a header, labels first, split on ';'. Seeds: tests/fuzz/corpus/csv.

#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "data/csv.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {

void read(const std::string& path, const tapegrad::data::CsvOptions& options) {
    try {
        const tapegrad::data::TensorDataset ds = tapegrad::data::read_csv(path, options);
        const tapegrad::Tensor& x = ds.data();
        const tapegrad::Tensor& y = ds.targets();
        if (x.dim() != 2 || y.dim() != 1 || x.size(0) != y.size(0) || x.size(0) < 1 ||
            x.size(1) < 1) {
            tapegrad_fuzz::fail("read_csv returned data and targets that do not fit together");
        }
    } catch (const std::runtime_error&) {
    } catch (const std::invalid_argument&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string& path = tapegrad_fuzz::write_input("csv", data, size);
    read(path, tapegrad::data::CsvOptions());
    read(path, tapegrad::data::CsvOptions().header(false).label_column(0).delimiter(';'));
    return 0;
}
