#pragma once
// A reader for numeric CSV files: one sample per line, one column of labels, the rest features.

#include <cstdint>
#include <string>

#include "data/dataset.hpp"
#include "nn/arg.hpp"

namespace tapegrad {
namespace data {

/// How read_csv splits a file: chain the setters.
class CsvOptions {
    /// The first line names the columns and is skipped (default true).
    TAPEGRAD_ARG(bool, header) = true;
    /// The column that holds the labels, counted from 0; negative counts from the end
    /// (default -1, the last column).
    TAPEGRAD_ARG(int64_t, label_column) = -1;
    /// The character between fields (default ',').
    TAPEGRAD_ARG(char, delimiter) = ',';
};

/// Reads a CSV file of numbers as data float32 [rows, columns - 1] and targets [rows]: int64
/// when every label is an integer, float32 otherwise. Spaces around fields, blank lines, and
/// line ends of every kind (LF, CRLF, and the lone CR of old Mac files) are allowed. Throws
/// std::runtime_error naming the file, line and column of the first bad field or short or long row,
/// and std::invalid_argument for a label column that the file does not have.
TensorDataset read_csv(const std::string& path, const CsvOptions& options = CsvOptions());

}  // namespace data
}  // namespace tapegrad
