#include "train/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "autograd/format.hpp"

namespace tapegrad {
namespace train {
namespace detail {

namespace {

// Coordinates with two decimals: enough for a screen, and the same text on every machine.
std::string num(double v) {
    return tapegrad::detail::format_number(v, "%.2f");
}

std::string tick_label(double v) {
    return tapegrad::detail::format_number(std::abs(v) < 1e-12 ? 0.0 : v);
}

}  // namespace

Svg::Svg(double width, double height) : width_(width), height_(height) {
    rect(0, 0, width, height, "white");
}

void Svg::rect(double x, double y, double w, double h, const std::string& fill,
               const std::string& stroke) {
    body_ << "<rect x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\"" << num(w)
          << "\" height=\"" << num(h) << "\" fill=\"" << fill << "\" stroke=\"" << stroke
          << "\"/>\n";
}

void Svg::line(double x1, double y1, double x2, double y2, const std::string& stroke,
               double width) {
    body_ << "<line x1=\"" << num(x1) << "\" y1=\"" << num(y1) << "\" x2=\"" << num(x2)
          << "\" y2=\"" << num(y2) << "\" stroke=\"" << stroke << "\" stroke-width=\"" << num(width)
          << "\"/>\n";
}

void Svg::path(const std::vector<std::pair<double, double>>& points, const std::string& stroke,
               double width) {
    if (points.empty()) return;
    body_ << "<path d=\"";
    for (size_t i = 0; i < points.size(); ++i) {
        body_ << (i ? " L" : "M") << num(points[i].first) << ',' << num(points[i].second);
    }
    body_ << "\" fill=\"none\" stroke=\"" << stroke << "\" stroke-width=\"" << num(width)
          << "\"/>\n";
}

void Svg::circle(double cx, double cy, double r, const std::string& fill,
                 const std::string& stroke) {
    body_ << "<circle cx=\"" << num(cx) << "\" cy=\"" << num(cy) << "\" r=\"" << num(r)
          << "\" fill=\"" << fill << "\" stroke=\"" << stroke << "\"/>\n";
}

void Svg::text(double x, double y, const std::string& text, const TextStyle& style) {
    body_ << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\" font-size=\"" << num(style.size)
          << "\" text-anchor=\"" << style.anchor << "\" fill=\"" << style.fill << '"';
    if (style.bold) body_ << " font-weight=\"bold\"";
    if (style.rotate != 0) {
        body_ << " transform=\"rotate(" << num(style.rotate) << ' ' << num(x) << ' ' << num(y)
              << ")\"";
    }
    body_ << '>' << xml_escape(text) << "</text>\n";
}

std::string Svg::str() const {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
           num(width_) + "\" height=\"" + num(height_) + "\" viewBox=\"0 0 " + num(width_) + ' ' +
           num(height_) + "\" font-family=\"sans-serif\">\n" + body_.str() + "</svg>\n";
}

std::string xml_escape(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string blues(double t) {
    t = std::isfinite(t) ? std::clamp(t, 0.0, 1.0) : 0.0;
    // white (247, 251, 255) to dark blue (8, 48, 107), as ColorBrewer's Blues ends
    const auto mix = [t](int a, int b) { return static_cast<int>(std::lround(a + (b - a) * t)); };
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", mix(247, 8), mix(251, 48), mix(255, 107));
    return buf;
}

double Axis::fraction(double v) const {
    if (log) return (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    return (v - lo) / (hi - lo);
}

Axis make_axis(const std::vector<double>& values, bool log) {
    Axis axis;
    axis.log = log;
    double lo = INFINITY;
    double hi = -INFINITY;
    for (double v : values) {
        if (!std::isfinite(v) || (log && v <= 0)) continue;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    if (log) {
        if (!(lo <= hi)) lo = hi = 1;
        double first = std::floor(std::log10(lo));
        double last = std::ceil(std::log10(hi));
        if (last <= first) last = first + 1;
        const double step = std::max(1.0, std::ceil((last - first) / 8));
        for (double e = first; e <= last + 1e-9; e += step) axis.ticks.push_back(std::pow(10.0, e));
        axis.lo = std::pow(10.0, first);
        axis.hi = std::pow(10.0, last);
        return axis;
    }
    if (!(lo <= hi)) lo = hi = 0;
    if (hi - lo < 1e-12 * std::max(1.0, std::abs(hi))) {  // one value: a range around it
        const double pad = std::abs(lo) > 0 ? std::abs(lo) * 0.1 : 0.5;
        lo -= pad;
        hi += pad;
    }
    const double raw = (hi - lo) / 5;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    const double m = raw / power;
    const double step = (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
    axis.lo = std::floor(lo / step) * step;
    axis.hi = std::ceil(hi / step) * step;
    for (double t = axis.lo; t <= axis.hi + step * 1e-6; t += step) axis.ticks.push_back(t);
    return axis;
}

void draw_scatter(Svg& svg, const ScatterPanel& panel, double left, double top, double width,
                  double height) {
    const double x0 = left + 64;  // room for the y tick labels and the y label
    const double y0 = top + 28;   // the title
    const double w = width - 64 - 16;
    const double h = height - 28 - 48;  // the x tick labels and the x label
    const Axis ax = make_axis(panel.x, panel.log_x);
    const Axis ay = make_axis(panel.y, false);
    const auto px = [&](double v) { return x0 + ax.fraction(v) * w; };
    const auto py = [&](double v) { return y0 + h - ay.fraction(v) * h; };

    svg.text(left + width / 2, top + 18, panel.title, {13, "middle", "#222222", 0, true});
    for (double t : ax.ticks) {
        svg.line(px(t), y0, px(t), y0 + h, "#e0e0e0");
        svg.text(px(t), y0 + h + 16, tick_label(t), {11, "middle"});
    }
    for (double t : ay.ticks) {
        svg.line(x0, py(t), x0 + w, py(t), "#e0e0e0");
        svg.text(x0 - 6, py(t) + 4, tick_label(t), {11, "end"});
    }
    svg.rect(x0, y0, w, h, "none", "#444444");
    svg.text(x0 + w / 2, y0 + h + 36, panel.xlabel + (panel.log_x ? " (log scale)" : ""),
             {12, "middle"});
    svg.text(left + 16, y0 + h / 2, panel.ylabel, {12, "middle", "#222222", -90});
    for (size_t i = 0; i < panel.x.size() && i < panel.y.size(); ++i) {
        if (!std::isfinite(panel.x[i]) || !std::isfinite(panel.y[i])) continue;
        if (panel.log_x && panel.x[i] <= 0) continue;
        if (static_cast<long>(i) == panel.highlight) continue;  // drawn last, on top
        svg.circle(px(panel.x[i]), py(panel.y[i]), 4, "#1f77b4", "white");
    }
    if (panel.highlight >= 0 && static_cast<size_t>(panel.highlight) < panel.x.size()) {
        const size_t i = static_cast<size_t>(panel.highlight);
        if (std::isfinite(panel.x[i]) && std::isfinite(panel.y[i]) &&
            (!panel.log_x || panel.x[i] > 0)) {
            svg.circle(px(panel.x[i]), py(panel.y[i]), 6, "#d62728", "white");
        }
    }
}

}  // namespace detail
}  // namespace train
}  // namespace tapegrad
