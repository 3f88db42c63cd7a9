// svg_check FILE [--min-shapes N] [--min-paths N]: exits 0 when FILE is a non-empty, well-formed
// SVG document with at least N drawn shapes (and N <path> elements); otherwise says why and
// exits 1. Used by the CTest that runs the main example and checks the pictures it writes.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/train/svg_check.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: svg_check FILE [--min-shapes N] [--min-paths N]\n");
        return 2;
    }
    int min_shapes = 1;
    int min_paths = 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--min-shapes") {
            min_shapes = std::atoi(argv[i + 1]);
        } else if (flag == "--min-paths") {
            min_paths = std::atoi(argv[i + 1]);
        } else {
            std::fprintf(stderr, "svg_check: unknown option %s\n", flag.c_str());
            return 2;
        }
    }
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "svg_check: %s does not exist or cannot be read\n", argv[1]);
        return 1;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str().empty()) {
        std::fprintf(stderr, "svg_check: %s is empty\n", argv[1]);
        return 1;
    }
    const tapegrad_test::SvgCheck check = tapegrad_test::check_svg(text.str());
    if (!check.ok) {
        std::fprintf(stderr, "svg_check: %s is not well-formed SVG: %s\n", argv[1],
                     check.error.c_str());
        return 1;
    }
    const int paths = check.count("path");
    if (check.shapes() < min_shapes || paths < min_paths) {
        std::fprintf(stderr,
                     "svg_check: %s draws %d shapes (%d paths); expected at least %d shapes and "
                     "%d paths\n",
                     argv[1], check.shapes(), paths, min_shapes, min_paths);
        return 1;
    }
    std::printf("%s: well-formed SVG, %zu bytes, %d shapes (%d paths)\n", argv[1],
                text.str().size(), check.shapes(), paths);
    return 0;
}
