#include "core/config/yaml_util.h"

#include <fstream>
#include <sstream>

#include <yaml-cpp/eventhandler.h>

namespace soc::config {

namespace {

// yaml-cpp 0.7's LoadAll never ends on some malformed streams (a stray ',' at the start of a
// line at the top level): the parser returns an empty document without consuming the token,
// again and again, and LoadAll keeps every one until memory runs out. A first pass with a
// handler that keeps nothing finds that: a document that starts where the previous one did.
class DocumentStarts final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  YAML::Mark start;
};

// Throws YAML::Exception for a syntax error, as LoadAll would, and for a stream on which
// LoadAll would not end.
void check_documents_progress(const std::string& source) {
  std::istringstream in(source);
  YAML::Parser parser(in);
  DocumentStarts handler;
  int previous = -1;
  while (parser.HandleNextDocument(handler)) {
    if (handler.start.pos == previous) throw YAML::ParserException(handler.start, "unexpected character here");
    previous = handler.start.pos;
  }
}

}  // namespace

Diagnostic diag_at(const std::string& path, const YAML::Mark& mark, std::string code, std::string message) {
  Diagnostic d;
  d.file = path;
  d.line = mark.line >= 0 ? mark.line + 1 : 0;
  d.column = mark.column >= 0 ? mark.column + 1 : 0;
  d.code = std::move(code);
  d.message = std::move(message);
  return d;
}

Diagnostic diag_at(const std::string& path, const YAML::Node& node, std::string code, std::string message) {
  return diag_at(path, node.Mark(), std::move(code), std::move(message));
}

bool load_yaml(const std::string& path, const std::string& source, YAML::Node& out, std::vector<Diagnostic>& diags) {
  try {
    out = YAML::Load(source);
    return true;
  } catch (const YAML::Exception& e) {
    diags.push_back(diag_at(path, e.mark, "yaml.syntax", e.msg));
    return false;
  }
}

bool load_yaml_all(const std::string& path, const std::string& source, std::vector<YAML::Node>& out,
                   std::vector<Diagnostic>& diags) {
  try {
    check_documents_progress(source);
    out = YAML::LoadAll(source);
    return true;
  } catch (const YAML::Exception& e) {
    diags.push_back(diag_at(path, e.mark, "yaml.syntax", e.msg));
    return false;
  }
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return !in.bad();
}

}  // namespace soc::config
