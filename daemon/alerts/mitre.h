// MITRE ATT&CK technique names for the technique ids rules carry (`tags: attack.t1110.001`, in
// alerts `threat.technique.id`), so that the API and the console show "Password Guessing" rather
// than T1110.001. A small table written from MITRE's public Enterprise matrix for the techniques
// the shipped rules use and their close relatives; an id not in it has no name (the id is still
// shown). A test checks that every technique of rules/ is named here.
#pragma once

#include <optional>
#include <string_view>

namespace soc::daemon::alerts {

// "T1110.001" -> "Password Guessing" (sub-techniques by their own name, as MITRE lists them).
std::optional<std::string_view> mitre_technique_name(std::string_view id);

}  // namespace soc::daemon::alerts
