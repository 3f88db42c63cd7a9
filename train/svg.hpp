#pragma once
// A small SVG writer for the pictures train/ draws itself (the confusion-matrix heat map, the
// hyperparameter-search plot): shapes and text into one standalone document, with no program
// to run. Internal to train/; History's curves are drawn by gnuplot (history.cpp).

#include <sstream>
#include <string>
#include <vector>

namespace tapegrad {
namespace train {
namespace detail {

/// How text is drawn: size in pixels, anchor "start", "middle" or "end", rotation in degrees.
struct TextStyle {
    double size = 12;
    const char* anchor = "start";
    const char* fill = "#222222";
    double rotate = 0;
    bool bold = false;
};

/// One SVG document of `width` x `height` pixels on a white background; y grows downwards.
class Svg {
public:
    Svg(double width, double height);
    void rect(double x, double y, double w, double h, const std::string& fill,
              const std::string& stroke = "none");
    void line(double x1, double y1, double x2, double y2, const std::string& stroke,
              double width = 1);
    /// A polyline through `points` (x, y pairs), drawn as a <path>.
    void path(const std::vector<std::pair<double, double>>& points, const std::string& stroke,
              double width = 1.5);
    void circle(double cx, double cy, double r, const std::string& fill,
                const std::string& stroke = "none");
    void text(double x, double y, const std::string& text, const TextStyle& style = {});
    /// The whole document, XML declaration included.
    std::string str() const;

private:
    double width_;
    double height_;
    std::ostringstream body_;
};

/// `text` with &, <, >, " and ' escaped for XML.
std::string xml_escape(const std::string& text);

/// A colour from white (t = 0) to dark blue (t = 1), as "#rrggbb".
std::string blues(double t);

/// A value axis: its range, ticks, and whether it is logarithmic.
struct Axis {
    double lo = 0;
    double hi = 1;
    bool log = false;
    std::vector<double> ticks;
    /// Position of `v` in [0, 1] along the axis.
    double fraction(double v) const;
};

/// An axis covering the finite values of `values` (of the positive ones when `log`), with
/// round ticks: 1, 2, 5 times a power of ten, or powers of ten on a log axis.
Axis make_axis(const std::vector<double>& values, bool log);

/// One scatter panel: points (x[i], y[i]), the point `highlight` (if in range) drawn in red.
struct ScatterPanel {
    std::string title;
    std::string xlabel;
    std::string ylabel;
    std::vector<double> x;
    std::vector<double> y;
    bool log_x = false;
    long highlight = -1;
};

/// Draws `panel` with axes, ticks and labels into the box (left, top, width, height) of `svg`.
void draw_scatter(Svg& svg, const ScatterPanel& panel, double left, double top, double width,
                  double height);

}  // namespace detail
}  // namespace train
}  // namespace tapegrad
