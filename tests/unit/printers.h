// How doctest prints the error enums of the code under test: by their stable reason strings,
// so that a failed CHECK(f.code == DecodeError::Syntax) reads "truncated == syntax".
#pragma once

#include <ostream>

#include "core/json_codec.h"
#include "core/transport/wire.h"

namespace soc {
inline std::ostream& operator<<(std::ostream& os, DecodeError e) { return os << to_string(e); }
}  // namespace soc

namespace soc::transport {
inline std::ostream& operator<<(std::ostream& os, WireError e) { return os << to_string(e); }
}  // namespace soc::transport
