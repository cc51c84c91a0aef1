#include "collectors/license_source.h"

namespace soc::collectors {

// Defined in each vendor's file.
std::unique_ptr<LicenseSource> make_fortios_source();

std::unique_ptr<LicenseSource> make_license_source(std::string_view kind) {
  // A new vendor: one file with its LicenseSource and parser, and one line here.
  if (kind == "fortios") return make_fortios_source();
  return nullptr;
}

}  // namespace soc::collectors
