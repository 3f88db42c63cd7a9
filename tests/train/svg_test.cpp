#include "train/svg.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "tests/train/svg_check.hpp"

namespace detail = tapegrad::train::detail;
using tapegrad_test::check_svg;

TEST_SUITE("train/svg") {
    TEST_CASE("check_svg: accepts gnuplot-style documents, refuses malformed ones") {
        const std::string good =
            "<?xml version=\"1.0\"?>\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" "
            "\"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n<svg a='1'><!-- c --><g>"
            "<path d=\"M0 0\"/><text>&amp;&#x41;&#66;</text><script><![CDATA[ <x> ]]></script>"
            "</g></svg>\n";
        const auto ok = check_svg(good);
        CHECK_MESSAGE(ok.ok, ok.error);
        CHECK(ok.count("path") == 1);
        CHECK(ok.shapes() == 1);
        for (const char* bad : {"", "<svg>", "<svg></g>", "<svg/><svg/>", "<html/>", "<svg a=1/>",
                                "<svg a='1' a='2'/>", "<svg>&nbsp;</svg>", "text<svg/>",
                                "<svg><rect x='<'/></svg>"}) {
            CAPTURE(bad);
            CHECK_FALSE(check_svg(bad).ok);
        }
    }

    TEST_CASE("Svg: escapes text and writes a well-formed document") {
        detail::Svg svg(100, 50);
        svg.rect(1, 2, 3, 4, "#ffffff", "#000000");
        svg.line(0, 0, 10, 10, "red");
        svg.path({{0, 0}, {5, 5}, {10, 0}}, "blue");
        svg.circle(5, 5, 2, "green");
        svg.text(10, 10, "a < b & \"c\"", {12, "middle", "#222222", -45, true});
        const std::string text = svg.str();
        const auto check = check_svg(text);
        REQUIRE_MESSAGE(check.ok, check.error);
        CHECK(check.shapes() == 5);  // the background, then the four shapes
        CHECK(text.find("a &lt; b &amp; &quot;c&quot;") != std::string::npos);
        CHECK(text.find("d=\"M0.00,0.00 L5.00,5.00 L10.00,0.00\"") != std::string::npos);
        CHECK(detail::blues(0) == "#f7fbff");
        CHECK(detail::blues(1) == "#08306b");
    }

    TEST_CASE("make_axis: round ticks covering the values, decades on a log axis") {
        const auto linear = detail::make_axis({0.13, 0.87}, false);
        REQUIRE(linear.ticks.size() == 6);
        for (size_t i = 0; i < 6; ++i) CHECK(linear.ticks[i] == doctest::Approx(0.2 * i));
        CHECK(linear.fraction(linear.lo) == 0.0);
        const auto log = detail::make_axis({2e-4, 0.05}, true);
        CHECK(log.lo == doctest::Approx(1e-4));
        CHECK(log.hi == doctest::Approx(0.1));
        CHECK(log.ticks.size() == 4);
        CHECK(log.fraction(1e-2) == doctest::Approx(2.0 / 3));
        CHECK(detail::make_axis({5, 5}, false).ticks.size() >= 2);  // one value: a range around it
    }
}
