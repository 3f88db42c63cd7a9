#include "data/csv.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "autograd/ops.hpp"

namespace tapegrad {
namespace data {

namespace {

[[noreturn]] void file_error(const std::string& where, const std::string& problem) {
    throw std::runtime_error("read_csv: " + where + ": " + problem);
}

// The field as it appears in a message: quoted, shortened, with unprintable bytes as '?'.
std::string quote(std::string_view field) {
    const size_t max_shown = 40;
    std::string out = "'";
    for (size_t i = 0; i < field.size() && i < max_shown; ++i) {
        const auto c = static_cast<unsigned char>(field[i]);
        out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
    }
    if (field.size() > max_shown) out += "...";
    return out + "'";
}

// Strips spaces and tabs (unless one is the delimiter) and one pair of double quotes.
std::string_view trim(std::string_view s, char delimiter) {
    auto blank = [delimiter](char c) { return (c == ' ' || c == '\t') && c != delimiter; };
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    return s;
}

void split(std::string_view line, char delimiter, std::vector<std::string_view>& fields) {
    fields.clear();
    size_t start = 0;
    while (true) {
        const size_t end = line.find(delimiter, start);
        if (end == std::string_view::npos) {
            fields.push_back(trim(line.substr(start), delimiter));
            return;
        }
        fields.push_back(trim(line.substr(start, end - start), delimiter));
        start = end + 1;
    }
}

bool is_blank(std::string_view line) {
    return line.find_first_not_of(" \t") == std::string_view::npos;
}

// from_chars rejects a leading '+', which CSV writers sometimes emit.
std::string_view drop_plus(std::string_view s) {
    if (s.size() >= 2 && s[0] == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
    return s;
}

template <class T>
bool parse_whole(std::string_view s, T& value, std::errc& error) {
    s = drop_plus(s);
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    error = ec;
    return ec == std::errc() && ptr == s.data() + s.size();
}

// Hands out the lines of a stream, each ended by "\n", "\r\n" or a lone "\r" (the line end
// of classic Mac OS, which some spreadsheet exports still write), reading in large chunks.
class LineReader {
public:
    explicit LineReader(std::istream& in) : in_(in), buf_(size_t{1} << 16) {}

    /// The next line without its line end; false at the end of the stream.
    bool next(std::string& line) {
        line.clear();
        bool any = false;
        while (true) {
            if (pos_ == end_ && !fill()) return any;
            any = true;
            const char c = buf_[pos_++];
            if (c == '\n') return true;
            if (c == '\r') {
                // "\r\n" is one line end, even when a chunk boundary falls between the two
                if ((pos_ < end_ || fill()) && buf_[pos_] == '\n') ++pos_;
                return true;
            }
            line.push_back(c);
        }
    }

    bool bad() const { return in_.bad(); }

private:
    bool fill() {
        if (!in_) return false;
        in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
        pos_ = 0;
        end_ = static_cast<size_t>(in_.gcount());
        return end_ > 0;
    }

    std::istream& in_;
    std::vector<char> buf_;
    size_t pos_ = 0;
    size_t end_ = 0;
};

}  // namespace

TensorDataset read_csv(const std::string& path, const CsvOptions& options) {
    std::error_code fs_error;
    if (std::filesystem::is_directory(path, fs_error)) file_error(path, "is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) file_error(path, std::string("cannot open: ") + std::strerror(errno));

    const char delimiter = options.delimiter();
    int64_t columns = -1;
    int64_t label_column = -1;
    int64_t rows = 0;
    std::vector<float> features;
    std::vector<float> labels_float;
    std::vector<int64_t> labels_int;
    bool labels_are_integers = true;

    std::string line;
    std::vector<std::string_view> fields;
    int64_t line_no = 0;
    bool header_pending = options.header();
    LineReader lines(in);
    while (lines.next(line)) {
        ++line_no;
        if (is_blank(line)) continue;
        split(line, delimiter, fields);
        const auto got = static_cast<int64_t>(fields.size());
        auto where = [&] { return path + ":" + std::to_string(line_no); };
        if (columns < 0) {
            columns = got;
            if (columns < 2) {
                file_error(where(), "expected at least 2 columns (features and a label), got " +
                                        std::to_string(columns));
            }
            label_column = options.label_column() < 0 ? options.label_column() + columns
                                                      : options.label_column();
            if (label_column < 0 || label_column >= columns) {
                throw std::invalid_argument("read_csv: " + path + ": label column " +
                                            std::to_string(options.label_column()) +
                                            " is out of range for " + std::to_string(columns) +
                                            " columns");
            }
        }
        if (header_pending) {
            header_pending = false;
            continue;
        }
        if (got != columns) {
            file_error(where(), "expected " + std::to_string(columns) + " columns, got " +
                                    std::to_string(got));
        }
        for (int64_t c = 0; c < columns; ++c) {
            const std::string_view field = fields[static_cast<size_t>(c)];
            auto column = [c] { return "column " + std::to_string(c + 1) + ": "; };
            if (field.empty()) file_error(where(), column() + "empty field");
            std::errc error{};
            if (c == label_column) {
                int64_t as_int = 0;
                if (parse_whole(field, as_int, error)) {
                    labels_int.push_back(as_int);
                    labels_float.push_back(static_cast<float>(as_int));
                    continue;
                }
                labels_are_integers = false;
                labels_int.push_back(0);
            }
            float value = 0;
            if (!parse_whole(field, value, error)) {
                if (error == std::errc::result_out_of_range) {
                    file_error(where(), column() + quote(field) + " is out of range for float32");
                }
                file_error(where(), column() + quote(field) + " is not a number");
            }
            if (c == label_column)
                labels_float.push_back(value);
            else
                features.push_back(value);
        }
        ++rows;
    }
    if (lines.bad()) file_error(path, std::string("read error: ") + std::strerror(errno));
    if (columns < 0) file_error(path, "the file is empty");
    if (rows == 0) file_error(path, "no data rows after the header");

    Tensor data = from_blob(features.data(), {rows, columns - 1}, kFloat32);
    Tensor targets = labels_are_integers ? from_blob(labels_int.data(), {rows}, kInt64)
                                         : from_blob(labels_float.data(), {rows}, kFloat32);
    return TensorDataset(data, targets);
}

}  // namespace data
}  // namespace tapegrad
