#include "daemon/inventory/yaml_stream.h"

#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <istream>
#include <memory>
#include <streambuf>
#include <unordered_set>
#include <utility>

#include "core/config/yaml_util.h"

namespace soc::daemon::inventory::detail {

const std::string& Node::Scalar() const {
  static const std::string kEmpty;
  return IsScalar() ? v_->scalar : kEmpty;
}

Node Node::operator[](std::string_view key) const {
  if (!IsMap()) return {};
  const auto& c = v_->children;
  for (size_t i = 0; i + 1 < c.size(); i += 2)
    if (const Node k(&c[i]); k.IsScalar() && k.Scalar() == key) return Node(&c[i + 1]);
  return {};
}

size_t Node::size() const {
  if (IsSequence()) return v_->children.size();
  if (IsMap()) return v_->children.size() / 2;
  return 0;
}

namespace {

// Reads `source` in place: the parser gets an istream without a second copy of the file.
class MemoryBuffer : public std::streambuf {
 public:
  explicit MemoryBuffer(const std::string& s) {
    char* p = const_cast<char*>(s.data());  // never written: the streambuf is only read
    setg(p, p, p + s.size());
  }
};

class StreamHandler final : public YAML::EventHandler {
 public:
  explicit StreamHandler(const ItemFn& on_item) : on_item_(on_item) {}

  bool has_root() const { return has_root_; }
  const Value& root() const { return root_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Value v;
    v.mark = mark;
    complete(std::move(v), anchor);
  }

  // yaml-cpp's tree shares the anchored node, marks included; so does an alias here. An alias
  // of an anchor whose node was streamed away (a whole top-level list) reads as null.
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Value v;
    v.mark = mark;
    auto it = anchors_.find(anchor);
    if (it != anchors_.end()) v.target = it->second.get();
    complete(std::move(v), 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string& value) override {
    Value v;
    v.type = Value::Type::Scalar;
    v.mark = mark;
    v.scalar = value;
    complete(std::move(v), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(Value::Type::Sequence, mark, anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(Value::Type::Map, mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  enum class Mode : uint8_t { Build, Stream, Skip };
  struct Frame {
    Value value;
    YAML::anchor_t anchor = 0;
    Mode mode = Mode::Build;
    std::string section;  // Stream: the top-level key
  };

  // True when the next complete value is the value of a key of the root map.
  bool at_root_value() const {
    return stack_.size() == 1 && stack_[0].value.type == Value::Type::Map && stack_[0].value.children.size() % 2 == 1;
  }

  void open(Value::Type type, const YAML::Mark& mark, YAML::anchor_t anchor) {
    Frame f;
    f.value.type = type;
    f.value.mark = mark;
    f.anchor = anchor;
    if (!stack_.empty() && stack_.back().mode != Mode::Build) {
      f.mode = Mode::Skip;  // inside a streamed element's parent or a skipped value: see complete()
      if (stack_.back().mode == Mode::Stream) f.mode = Mode::Build;
    }
    if (at_root_value() && type == Value::Type::Sequence) {
      f.mode = repeated_root_key_ ? Mode::Skip : Mode::Stream;
      f.section = root_key_;
    }
    stack_.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.mode == Mode::Build) {
      complete(std::move(f.value), f.anchor);
    } else {
      Value placeholder;  // the list itself, without its elements
      placeholder.type = f.value.type;
      placeholder.mark = f.value.mark;
      complete(std::move(placeholder), 0);
    }
  }

  void complete(Value&& v, YAML::anchor_t anchor) {
    if (stack_.empty()) {
      root_ = std::move(v);
      has_root_ = true;
      return;
    }
    Frame& top = stack_.back();
    if (top.mode == Mode::Skip) return;
    if (anchor != 0) {
      // The anchored value moves to the anchors (stable address, alive for the whole parse);
      // its place holds an alias to it.
      auto& slot = anchors_[anchor];
      slot = std::make_unique<Value>(std::move(v));
      v = Value();
      v.mark = slot->mark;
      v.target = slot.get();
    }
    if (top.mode == Mode::Stream) {
      on_item_(top.section, Node(&v));
      return;
    }
    if (stack_.size() == 1 && top.value.type == Value::Type::Map && top.value.children.size() % 2 == 0) {
      const Value& key = v.target ? *v.target : v;
      root_key_ = key.type == Value::Type::Scalar ? key.scalar : std::string();
      repeated_root_key_ = !root_keys_.insert(root_key_).second;
    }
    top.value.children.push_back(std::move(v));
  }

  const ItemFn& on_item_;
  std::vector<Frame> stack_;
  Value root_;
  bool has_root_ = false;
  std::unordered_map<YAML::anchor_t, std::unique_ptr<Value>> anchors_;
  std::unordered_set<std::string> root_keys_;
  std::string root_key_;
  bool repeated_root_key_ = false;
};

}  // namespace

bool stream_yaml(const std::string& path, const std::string& source, const ItemFn& on_item, const RootFn& on_root,
                 std::vector<Diagnostic>& diags) {
  MemoryBuffer buffer(source);
  std::istream in(&buffer);
  StreamHandler handler(on_item);
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(handler);
  } catch (const YAML::Exception& e) {
    diags.push_back(config::diag_at(path, e.mark, "yaml.syntax", e.msg));
    return false;
  }
  static const Value kEmptyDocument;
  on_root(Node(handler.has_root() ? &handler.root() : &kEmptyDocument));
  return true;
}

}  // namespace soc::daemon::inventory::detail
