#include "daemon/alerts/mitre.h"

#include <utility>

namespace soc::daemon::alerts {

namespace {
// attack.mitre.org/techniques/, Enterprise ATT&CK v15.
constexpr std::pair<std::string_view, std::string_view> kTechniques[] = {
    {"T1003", "OS Credential Dumping"},
    {"T1021", "Remote Services"},
    {"T1021.004", "SSH"},
    {"T1040", "Network Sniffing"},
    {"T1046", "Network Service Discovery"},
    {"T1048", "Exfiltration Over Alternative Protocol"},
    {"T1048.003", "Exfiltration Over Unencrypted Non-C2 Protocol"},
    {"T1059", "Command and Scripting Interpreter"},
    {"T1059.004", "Unix Shell"},
    {"T1071", "Application Layer Protocol"},
    {"T1071.001", "Web Protocols"},
    {"T1071.004", "DNS"},
    {"T1078", "Valid Accounts"},
    {"T1083", "File and Directory Discovery"},
    {"T1090", "Proxy"},
    {"T1098", "Account Manipulation"},
    {"T1105", "Ingress Tool Transfer"},
    {"T1110", "Brute Force"},
    {"T1110.001", "Password Guessing"},
    {"T1110.002", "Password Cracking"},
    {"T1110.003", "Password Spraying"},
    {"T1110.004", "Credential Stuffing"},
    {"T1133", "External Remote Services"},
    {"T1136", "Create Account"},
    {"T1136.001", "Local Account"},
    {"T1190", "Exploit Public-Facing Application"},
    {"T1498", "Network Denial of Service"},
    {"T1499", "Endpoint Denial of Service"},
    {"T1505.003", "Web Shell"},
    {"T1548", "Abuse Elevation Control Mechanism"},
    {"T1548.003", "Sudo and Sudo Caching"},
    {"T1557", "Adversary-in-the-Middle"},
    {"T1568", "Dynamic Resolution"},
    {"T1568.002", "Domain Generation Algorithms"},
    {"T1571", "Non-Standard Port"},
    {"T1572", "Protocol Tunneling"},
    {"T1573", "Encrypted Channel"},
    {"T1587.003", "Digital Certificates"},
    {"T1595", "Active Scanning"},
    {"T1595.001", "Scanning IP Blocks"},
    {"T1595.002", "Vulnerability Scanning"},
    {"T1595.003", "Wordlist Scanning"},
};
}  // namespace

std::optional<std::string_view> mitre_technique_name(std::string_view id) {
  for (const auto& [k, name] : kTechniques)
    if (k == id) return name;
  return std::nullopt;
}

}  // namespace soc::daemon::alerts
