#pragma once
// A reader for numeric CSV files: one sample per line, one column of labels, the rest features.

#include <cstdint>
#include <string>

#include "data/dataset.hpp"

namespace tapegrad {
namespace data {

/// How read_csv splits a file: chain the setters.
class CsvOptions {
public:
    /// The first line names the columns and is skipped (default true).
    CsvOptions& header(bool v) {
        header_ = v;
        return *this;
    }
    /// The column that holds the labels, counted from 0; negative counts from the end
    /// (default -1, the last column).
    CsvOptions& label_column(int64_t v) {
        label_column_ = v;
        return *this;
    }
    /// The character between fields (default ',').
    CsvOptions& delimiter(char v) {
        delimiter_ = v;
        return *this;
    }

    bool header() const { return header_; }
    int64_t label_column() const { return label_column_; }
    char delimiter() const { return delimiter_; }

private:
    bool header_ = true;
    int64_t label_column_ = -1;
    char delimiter_ = ',';
};

/// Reads a CSV file of numbers as data float32 [rows, columns - 1] and targets [rows]: int64
/// when every label is an integer, float32 otherwise. Spaces around fields, blank lines, and
/// line ends of every kind (LF, CRLF, and the lone CR of old Mac files) are allowed. Throws
/// std::runtime_error naming the file, line and column of the first bad field or short or long row,
/// and std::invalid_argument for a label column that the file does not have.
TensorDataset read_csv(const std::string& path, const CsvOptions& options = CsvOptions());

}  // namespace data
}  // namespace tapegrad
