// History's columns by name, and its CSV text (history.cpp writes it and draws the curves).
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "train/detail.hpp"
#include "train/history.hpp"

namespace tapegrad {
namespace train {

namespace {

bool is_validation(const std::string& name) {
    return name.rfind("val_", 0) == 0;
}

// The fixed columns, or null.
const std::vector<double>* fixed_column(const History& h, const std::string& name) {
    if (name == "loss") return &h.loss;
    if (name == "accuracy") return &h.accuracy;
    if (name == "val_loss") return &h.val_loss;
    if (name == "val_accuracy") return &h.val_accuracy;
    if (name == "lr") return &h.lr;
    if (name == "seconds") return &h.seconds;
    return nullptr;
}

}  // namespace

bool History::contains(const std::string& name) const {
    if (is_validation(name) && !has_validation()) return false;
    return fixed_column(*this, name) != nullptr || metrics.count(name) > 0;
}

const std::vector<double>& History::operator[](const std::string& name) const {
    if (contains(name)) {
        const std::vector<double>* column = fixed_column(*this, name);
        return column ? *column : metrics.at(name);
    }
    throw std::invalid_argument("History: no column '" + name + "'" +
                                (is_validation(name) && !has_validation()
                                     ? std::string(" (fit ran without validation data)")
                                     : std::string()) +
                                "; the columns are " + detail::join_names(keys()));
}

std::vector<std::string> History::keys() const {
    std::vector<std::string> names = {"loss", "accuracy"};
    for (const auto& [name, column] : metrics) {
        if (!is_validation(name)) names.push_back(name);
    }
    if (has_validation()) {
        names.push_back("val_loss");
        names.push_back("val_accuracy");
        for (const auto& [name, column] : metrics) {
            if (is_validation(name)) names.push_back(name);
        }
    }
    names.push_back("lr");
    names.push_back("seconds");
    return names;
}

std::string History::to_csv(char separator) const {
    const std::vector<std::string> names = keys();
    std::ostringstream out;
    out << "epoch";
    for (const std::string& name : names) out << separator << name;
    out << '\n';
    for (size_t i = 0; i < size(); ++i) {
        out << (i < epoch.size() ? epoch[i] : static_cast<int64_t>(i + 1));
        for (const std::string& name : names) {
            const std::vector<double>& column = (*this)[name];
            const double v = i < column.size() ? column[i] : std::nan("");
            out << separator << detail::format_number(v, name == "seconds" ? "%.3f" : "%.6g");
        }
        out << '\n';
    }
    return out.str();
}

}  // namespace train
}  // namespace tapegrad
