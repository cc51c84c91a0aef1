// Internal to daemon/inventory: reading inventory.yaml and baseline.yaml with yaml-cpp's event
// parser (YAML::Parser + YAML::EventHandler) instead of its node tree (docs/adr/0009, 0012).
//
// yaml-cpp's node tree costs about 4 times the parse itself and some 14 KiB per inventory asset
// (1.4 GiB for 100,000 assets). Here each element of a top-level list (one site, one asset) is
// built as a small tree of plain `Value`s, handed to the loader as soon as it is complete, and
// dropped; only the top-level map's other values are kept whole. Marks are the ones yaml-cpp's
// node tree would carry (the same parser emits them), so diagnostics do not change.
#pragma once

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/diagnostic.h"

namespace soc::daemon::inventory::detail {

// One YAML node as the parser reported it. A map's children alternate key, value. An alias
// (`*a`) is a Value whose `target` is the anchored value, shared as in yaml-cpp's tree: never
// copied, so that nested aliases (a "billion laughs" file) cost one Value each.
struct Value {
  enum class Type : uint8_t { Null, Scalar, Sequence, Map };
  Type type = Type::Null;
  YAML::Mark mark = YAML::Mark::null_mark();
  std::string scalar;
  std::vector<Value> children;
  const Value* target = nullptr;
};

// A read-only handle with the part of YAML::Node's interface the loaders use. A default (or
// absent) Node is false, like an undefined YAML::Node.
class Node {
 public:
  Node() = default;
  explicit Node(const Value* v) : v_(v && v->target ? v->target : v) {}

  explicit operator bool() const { return v_ != nullptr; }
  // YAML::Node's names (see above): the loaders call this Node as they called a YAML::Node.
  // NOLINTBEGIN(readability-identifier-naming)
  bool IsNull() const { return v_ && v_->type == Value::Type::Null; }
  bool IsScalar() const { return v_ && v_->type == Value::Type::Scalar; }
  bool IsSequence() const { return v_ && v_->type == Value::Type::Sequence; }
  bool IsMap() const { return v_ && v_->type == Value::Type::Map; }
  const std::string& Scalar() const;
  YAML::Mark Mark() const { return v_ ? v_->mark : YAML::Mark::null_mark(); }
  // NOLINTEND(readability-identifier-naming)

  // The value of the first scalar key equal to `key` (a map only).
  Node operator[](std::string_view key) const;

  // Elements of a sequence; entries of a map.
  size_t size() const;
  Node item(size_t i) const { return Node(&v_->children[i]); }
  Node key(size_t i) const { return Node(&v_->children[2 * i]); }
  Node value(size_t i) const { return Node(&v_->children[2 * i + 1]); }

  class iterator {  // NOLINT(readability-identifier-naming): the standard's name, for range-for
   public:
    iterator(const Value* p) : p_(p) {}
    Node operator*() const { return Node(p_); }
    iterator& operator++() {
      ++p_;
      return *this;
    }
    bool operator!=(const iterator& o) const { return p_ != o.p_; }

   private:
    const Value* p_;
  };
  // Iterates the elements of a sequence; nothing for any other node.
  iterator begin() const { return IsSequence() ? iterator(v_->children.data()) : iterator(nullptr); }
  iterator end() const {
    return IsSequence() ? iterator(v_->children.data() + v_->children.size()) : iterator(nullptr);
  }

 private:
  const Value* v_ = nullptr;
};

// Parses the first document of `source` (the text of `path`) and streams it:
//   - each element of a list that is the value of a top-level key is passed to `on_item` with
//     that key, in file order, then dropped;
//   - when the whole document has been read, `on_root` receives the root. When the root is a
//     map, its list values are present as empty sequences (with their mark), its other values
//     whole. A list under a repeated top-level key is skipped (the key is reported as repeated,
//     and yaml-cpp's lookups see the first one too).
// An empty document is a null root with no mark. A syntax error appends a `yaml.syntax`
// diagnostic and returns false; `on_item` may have been called before it. Never throws.
using ItemFn = std::function<void(std::string_view section, const Node& item)>;
using RootFn = std::function<void(const Node& root)>;
bool stream_yaml(const std::string& path, const std::string& source, const ItemFn& on_item, const RootFn& on_root,
                 std::vector<Diagnostic>& diags);

}  // namespace soc::daemon::inventory::detail
