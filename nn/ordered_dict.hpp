#pragma once
// OrderedDict: a vector of key/value items with lookup by key, as LibTorch's torch::OrderedDict.
// named_parameters(), named_buffers() and named_children() return one.

#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tapegrad {

/// Items in insertion order, each with .key() and .value(); keys are unique.
template <class Key, class Value>
class OrderedDict {
public:
    /// One key/value pair.
    class Item {
    public:
        Item(Key key, Value value) : pair_(std::move(key), std::move(value)) {}
        const Key& key() const { return pair_.first; }
        Value& value() { return pair_.second; }
        const Value& value() const { return pair_.second; }
        Value& operator*() { return pair_.second; }
        const Value& operator*() const { return pair_.second; }
        Value* operator->() { return &pair_.second; }
        const Value* operator->() const { return &pair_.second; }
        const std::pair<Key, Value>& pair() const { return pair_; }

    private:
        std::pair<Key, Value> pair_;
    };

    using iterator = typename std::vector<Item>::iterator;
    using const_iterator = typename std::vector<Item>::const_iterator;

    /// `key_description` names the keys in error messages, e.g. "parameter".
    explicit OrderedDict(std::string key_description = "key")
        : key_description_(std::move(key_description)) {}
    /// `OrderedDict<std::string, int> d = {{"a", 1}, {"b", 2}};`
    OrderedDict(std::initializer_list<Item> items) : OrderedDict() {
        for (const Item& i : items) insert(i.key(), i.value());
    }

    /// What the keys are called in error messages ("parameter", "submodule", ...).
    const std::string& key_description() const noexcept { return key_description_; }

    /// Appends a new item and returns its value; throws std::invalid_argument on a duplicate.
    Value& insert(Key key, Value value) {
        if (index_.count(key)) {
            throw std::invalid_argument("OrderedDict: " + key_description_ + " '" + key +
                                        "' is already defined");
        }
        index_.emplace(key, items_.size());
        items_.emplace_back(std::move(key), std::move(value));
        return items_.back().value();
    }
    /// The value for `key`, or null.
    Value* find(const Key& key) {
        auto it = index_.find(key);
        return it == index_.end() ? nullptr : &items_[it->second].value();
    }
    const Value* find(const Key& key) const {
        auto it = index_.find(key);
        return it == index_.end() ? nullptr : &items_[it->second].value();
    }
    bool contains(const Key& key) const { return index_.count(key) != 0; }
    /// The item at `index` in insertion order (`named_parameters()[0].key()`); throws
    /// std::out_of_range past the end.
    Item& operator[](size_t index) { return items_[checked(index)]; }
    const Item& operator[](size_t index) const { return items_[checked(index)]; }
    Item& front() { return items_[checked(0)]; }
    const Item& front() const { return items_[checked(0)]; }
    Item& back() { return items_[checked(items_.size() - 1)]; }
    const Item& back() const { return items_[checked(items_.size() - 1)]; }
    /// The value for `key`; throws std::out_of_range naming the key when it is missing.
    Value& operator[](const Key& key) {
        if (Value* v = find(key)) return *v;
        throw std::out_of_range("OrderedDict: no " + key_description_ + " named '" + key + "'");
    }
    const Value& operator[](const Key& key) const {
        if (const Value* v = find(key)) return *v;
        throw std::out_of_range("OrderedDict: no " + key_description_ + " named '" + key + "'");
    }

    iterator begin() { return items_.begin(); }
    iterator end() { return items_.end(); }
    const_iterator begin() const { return items_.begin(); }
    const_iterator end() const { return items_.end(); }
    size_t size() const { return items_.size(); }
    bool is_empty() const { return items_.empty(); }
    const std::vector<Item>& items() const { return items_; }
    std::vector<Key> keys() const {
        std::vector<Key> out;
        out.reserve(items_.size());
        for (const Item& i : items_) out.push_back(i.key());
        return out;
    }
    std::vector<Value> values() const {
        std::vector<Value> out;
        out.reserve(items_.size());
        for (const Item& i : items_) out.push_back(i.value());
        return out;
    }
    std::vector<std::pair<Key, Value>> pairs() const {
        std::vector<std::pair<Key, Value>> out;
        out.reserve(items_.size());
        for (const Item& i : items_) out.push_back(i.pair());
        return out;
    }
    void reserve(size_t capacity) {
        items_.reserve(capacity);
        index_.reserve(capacity);
    }
    /// Inserts every item of `other`; a key already present throws, as insert().
    void update(const OrderedDict& other) {
        for (const Item& i : other) insert(i.key(), i.value());
    }
    /// Removes `key`, keeping the order of the others; throws std::out_of_range naming it.
    void erase(const Key& key) {
        auto it = index_.find(key);
        if (it == index_.end()) {
            throw std::out_of_range("OrderedDict: no " + key_description_ + " named '" + key + "'");
        }
        const size_t at = it->second;
        index_.erase(it);
        items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(at));
        for (size_t i = at; i < items_.size(); ++i) index_[items_[i].key()] = i;
    }
    void clear() {
        items_.clear();
        index_.clear();
    }

private:
    size_t checked(size_t index) const {
        if (index >= items_.size()) {
            throw std::out_of_range("OrderedDict: index " + std::to_string(index) +
                                    " is out of range for " + std::to_string(items_.size()) + " " +
                                    key_description_ + "s");
        }
        return index;
    }

    std::vector<Item> items_;
    std::unordered_map<Key, size_t> index_;
    std::string key_description_;
};

}  // namespace tapegrad
