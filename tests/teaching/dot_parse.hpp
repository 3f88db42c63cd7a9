#pragma once
// A small reader for the DOT subset to_dot writes (`digraph name { stmt; ... }` with node
// statements `id [k=v, ...]`, edge statements `a -> b [k=v]` and defaults `node [...]`), so the
// tests check the export by parsing it back instead of comparing text.

#include <cctype>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace tapegrad {
namespace testing {

struct DotGraph {
    std::string name;
    std::map<std::string, std::map<std::string, std::string>> nodes;  // id -> attributes
    struct EdgeStmt {
        std::string from, to;
        std::map<std::string, std::string> attrs;
    };
    std::vector<EdgeStmt> edges;
    std::vector<std::string> node_order;  // ids in the order they were declared

    /// The label of a node split at its \n line breaks, unescaped.
    std::vector<std::string> label_lines(const std::string& id) const {
        std::vector<std::string> lines{""};
        const std::string& l = nodes.at(id).at("label");
        for (size_t i = 0; i < l.size(); ++i) {
            if (l[i] == '\n')
                lines.emplace_back();
            else
                lines.back() += l[i];
        }
        return lines;
    }
    size_t count_edges(const std::string& from, const std::string& to) const {
        size_t n = 0;
        for (const auto& e : edges) n += e.from == from && e.to == to;
        return n;
    }
};

/// Parses `text`; throws std::runtime_error on anything outside the subset.
inline DotGraph parse_dot(const std::string& text) {
    std::vector<std::string> tokens;  // quoted strings keep a leading '"' marker, unescaped
    for (size_t i = 0; i < text.size();) {
        const char c = text[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (c == '"') {
            std::string s = "\"";
            for (++i; i < text.size() && text[i] != '"'; ++i) {
                if (text[i] == '\\' && i + 1 < text.size()) {
                    const char n = text[++i];
                    s += n == 'n' ? '\n' : n;
                } else {
                    s += text[i];
                }
            }
            if (i >= text.size()) throw std::runtime_error("dot: unterminated string");
            ++i;
            tokens.push_back(s);
        } else if (c == '-' && i + 1 < text.size() && text[i + 1] == '>') {
            tokens.push_back("->");
            i += 2;
        } else if (std::string("{}[];,=").find(c) != std::string::npos) {
            tokens.push_back(std::string(1, c));
            ++i;
        } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.') {
            std::string s;
            while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) ||
                                       text[i] == '_' || text[i] == '.'))
                s += text[i++];
            tokens.push_back(s);
        } else {
            throw std::runtime_error(std::string("dot: unexpected character '") + c + "'");
        }
    }
    size_t p = 0;
    auto peek = [&]() -> std::string { return p < tokens.size() ? tokens[p] : ""; };
    auto next = [&]() -> std::string {
        if (p >= tokens.size()) throw std::runtime_error("dot: unexpected end");
        return tokens[p++];
    };
    auto expect = [&](const std::string& t) {
        const std::string got = next();
        if (got != t) throw std::runtime_error("dot: expected '" + t + "', got '" + got + "'");
    };
    auto value = [&](const std::string& tok) { return tok[0] == '"' ? tok.substr(1) : tok; };
    auto attrs = [&]() {
        std::map<std::string, std::string> a;
        if (peek() != "[") return a;
        next();
        while (peek() != "]") {
            const std::string k = next();
            expect("=");
            a[k] = value(next());
            if (peek() == ",") next();
        }
        next();
        return a;
    };
    DotGraph g;
    expect("digraph");
    g.name = value(next());
    expect("{");
    while (peek() != "}") {
        const std::string first = value(next());
        if (peek() == "=") {  // graph attribute, e.g. rankdir=TB
            next();
            next();
        } else if (peek() == "->") {
            next();
            DotGraph::EdgeStmt e{first, value(next()), {}};
            e.attrs = attrs();
            g.edges.push_back(e);
        } else {
            auto a = attrs();
            if (first != "node" && first != "edge" && first != "graph") {
                if (g.nodes.count(first))
                    throw std::runtime_error("dot: node declared twice: " + first);
                g.nodes[first] = a;
                g.node_order.push_back(first);
            }
        }
        expect(";");
    }
    expect("}");
    if (p != tokens.size()) throw std::runtime_error("dot: text after the graph");
    for (const auto& e : g.edges) {
        if (!g.nodes.count(e.from) || !g.nodes.count(e.to))
            throw std::runtime_error("dot: edge " + e.from + " -> " + e.to +
                                     " names an undeclared node");
    }
    return g;
}

}  // namespace testing
}  // namespace tapegrad
