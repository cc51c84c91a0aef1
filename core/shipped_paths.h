// Where a binary finds the data the project ships (rules, field mappings, log decoders, the
// sample province): in the source tree when the binary runs from its build tree, in the
// installed data folder (PREFIX/share/soc, `meson install`) otherwise. An installed binary never
// reads the source tree it was built from, and a binary in the build tree never reads an older
// installed copy.
#pragma once

#include <string>
#include <string_view>

namespace soc {

// True when this executable lives under the meson build folder it was built in.
bool running_from_build_tree();

// SOURCE_ROOT/in_source from the build tree, DATA_DIR/in_data_dir installed.
std::string shipped_path(std::string_view in_source, std::string_view in_data_dir);

}  // namespace soc
