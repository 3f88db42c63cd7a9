#pragma once
// A minimal XML well-formedness check for the SVG files the library writes (ours and
// gnuplot's): one root element named svg, every tag closed in order, attributes quoted and
// not repeated, only XML's predefined or numeric entities, nothing but whitespace outside
// the root. It also counts the elements by name, so a test can ask for drawn shapes.

#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tapegrad_test {

struct SvgCheck {
    bool ok = false;
    std::string error;  ///< what is wrong and at which byte, when !ok
    std::string root;
    std::map<std::string, int> elements;  ///< how many of each element

    /// Elements that draw: path, rect, line, polyline, polygon, circle, ellipse.
    int shapes() const {
        int n = 0;
        for (const char* name :
             {"path", "rect", "line", "polyline", "polygon", "circle", "ellipse"}) {
            const auto it = elements.find(name);
            if (it != elements.end()) n += it->second;
        }
        return n;
    }
    int count(const std::string& name) const {
        const auto it = elements.find(name);
        return it == elements.end() ? 0 : it->second;
    }
};

inline SvgCheck check_svg(const std::string& text) {
    SvgCheck r;
    size_t p = 0;
    const size_t n = text.size();
    std::vector<std::string> open;
    bool seen_root = false;
    const auto fail = [&](const std::string& why) {
        r.ok = false;
        r.error = why + " at byte " + std::to_string(p);
        return r;
    };
    const auto starts = [&](const char* s) {
        return text.compare(p, std::string(s).size(), s) == 0;
    };
    const auto name_start = [](char c) {
        return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
    };
    const auto name_char = [&](char c) {
        return name_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
    };
    // checks the entity references of [from, to)
    const auto entities_ok = [&](size_t from, size_t to) {
        for (size_t i = from; i < to; ++i) {
            if (text[i] != '&') continue;
            const size_t semi = text.find(';', i);
            if (semi == std::string::npos || semi >= to) return false;
            const std::string ref = text.substr(i + 1, semi - i - 1);
            static const std::set<std::string> predefined = {"amp", "lt", "gt", "quot", "apos"};
            bool numeric = ref.size() > 1 && ref[0] == '#';
            if (numeric) {
                const bool hex = ref[1] == 'x';
                numeric = ref.size() > (hex ? 2u : 1u);
                for (size_t k = hex ? 2 : 1; numeric && k < ref.size(); ++k) {
                    numeric = hex ? std::isxdigit(static_cast<unsigned char>(ref[k])) != 0
                                  : std::isdigit(static_cast<unsigned char>(ref[k])) != 0;
                }
            }
            if (!numeric && predefined.count(ref) == 0) return false;
            i = semi;
        }
        return true;
    };
    while (p < n) {
        if (text[p] != '<') {
            const size_t next = text.find('<', p);
            const size_t end = next == std::string::npos ? n : next;
            if (open.empty()) {
                for (size_t i = p; i < end; ++i) {
                    if (!std::isspace(static_cast<unsigned char>(text[i]))) {
                        return fail("text outside the root element");
                    }
                }
            } else if (!entities_ok(p, end)) {
                return fail("bad entity reference in text");
            }
            p = end;
            continue;
        }
        if (starts("<?")) {
            const size_t end = text.find("?>", p);
            if (end == std::string::npos) return fail("unterminated processing instruction");
            p = end + 2;
        } else if (starts("<!--")) {
            const size_t end = text.find("-->", p + 4);
            if (end == std::string::npos) return fail("unterminated comment");
            p = end + 3;
        } else if (starts("<![CDATA[")) {
            if (open.empty()) return fail("CDATA outside the root element");
            const size_t end = text.find("]]>", p);
            if (end == std::string::npos) return fail("unterminated CDATA");
            p = end + 3;
        } else if (starts("<!DOCTYPE")) {
            if (seen_root) return fail("DOCTYPE after the root element");
            int depth = 0;
            for (; p < n; ++p) {
                if (text[p] == '[') ++depth;
                if (text[p] == ']') --depth;
                if (text[p] == '>' && depth == 0) break;
            }
            if (p == n) return fail("unterminated DOCTYPE");
            ++p;
        } else if (starts("</")) {
            p += 2;
            const size_t begin = p;
            while (p < n && name_char(text[p])) ++p;
            const std::string name = text.substr(begin, p - begin);
            while (p < n && std::isspace(static_cast<unsigned char>(text[p]))) ++p;
            if (p >= n || text[p] != '>') return fail("bad end tag");
            if (open.empty() || open.back() != name) {
                return fail("end tag </" + name + "> does not close <" +
                            (open.empty() ? std::string("nothing") : open.back()) + ">");
            }
            open.pop_back();
            ++p;
        } else {
            ++p;
            if (p >= n || !name_start(text[p])) return fail("bad tag name");
            const size_t begin = p;
            while (p < n && name_char(text[p])) ++p;
            const std::string name = text.substr(begin, p - begin);
            if (open.empty()) {
                if (seen_root) return fail("a second root element <" + name + ">");
                seen_root = true;
                r.root = name;
            }
            ++r.elements[name];
            std::set<std::string> attributes;
            bool closed = false;
            while (true) {
                const size_t before = p;
                while (p < n && std::isspace(static_cast<unsigned char>(text[p]))) ++p;
                if (p >= n) return fail("unterminated tag <" + name + ">");
                if (text[p] == '>') {
                    ++p;
                    break;
                }
                if (starts("/>")) {
                    p += 2;
                    closed = true;
                    break;
                }
                if (p == before) return fail("no space before an attribute of <" + name + ">");
                const size_t a = p;
                if (!name_start(text[p])) return fail("bad attribute name in <" + name + ">");
                while (p < n && name_char(text[p])) ++p;
                const std::string attribute = text.substr(a, p - a);
                if (!attributes.insert(attribute).second) {
                    return fail("attribute " + attribute + " repeated in <" + name + ">");
                }
                while (p < n && std::isspace(static_cast<unsigned char>(text[p]))) ++p;
                if (p >= n || text[p] != '=')
                    return fail("attribute without a value in <" + name + ">");
                ++p;
                while (p < n && std::isspace(static_cast<unsigned char>(text[p]))) ++p;
                if (p >= n || (text[p] != '"' && text[p] != '\'')) {
                    return fail("unquoted attribute value in <" + name + ">");
                }
                const char quote = text[p++];
                const size_t end = text.find(quote, p);
                if (end == std::string::npos) return fail("unterminated attribute value");
                if (text.find('<', p) < end) return fail("'<' in an attribute value");
                if (!entities_ok(p, end)) return fail("bad entity reference in an attribute");
                p = end + 1;
            }
            if (!closed) open.push_back(name);
        }
    }
    if (!open.empty()) return fail("<" + open.back() + "> is never closed");
    if (!seen_root) return fail("no root element");
    if (r.root != "svg") return fail("the root element is <" + r.root + ">, not <svg>");
    r.ok = true;
    return r;
}

}  // namespace tapegrad_test
