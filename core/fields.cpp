#include "core/fields.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>

namespace soc {
namespace {

using T = ValueType;

// Keep in step with docs/fields.md (a unit test compares the two).
constexpr FieldSpec kFields[] = {
    // Base
    {"@timestamp", T::Timestamp, false, true, "When the event happened (RFC 3339, UTC, microseconds)."},
    {"message", T::String, false, false, "The original log message or a human summary."},
    {"tags", T::String, true, false, "Free-form tags."},
    // event.*
    {"event.kind", T::String, false, true, "event, alert, metric (heartbeats), state (asset findings)."},
    {"event.dataset", T::String, false, true, "The source of the event: flow, ndpi.risk, sshd, sudo, soc.heartbeat, ..."},
    {"event.category", T::String, true, true, "ECS categories: authentication, network, web, process, ..."},
    {"event.type", T::String, true, false, "ECS types: start, end, denied, allowed, connection, ..."},
    {"event.action", T::String, false, false, "What happened, in the source's words (ssh_login, deny, ...)."},
    {"event.outcome", T::String, false, false, "success, failure or unknown."},
    {"event.severity", T::Int, false, false, "Numeric severity (alerts: 1 informational .. 5 critical)."},
    {"event.start", T::Timestamp, false, false, "Start of the activity (flow start, first evidence)."},
    {"event.end", T::Timestamp, false, false, "End of the activity (flow end, last evidence)."},
    {"event.created", T::Timestamp, false, false, "When the sensor created the event."},
    {"event.ingested", T::Timestamp, false, false, "When the correlator accepted the event."},
    {"event.duration", T::Int, false, false, "Duration in nanoseconds."},
    {"event.id", T::String, false, false, "Unique id of the event: <sensor>:<epoch>:<sequence>, set by the correlator."},
    {"event.original", T::String, false, false, "The raw input the event was decoded from."},
    {"event.reason", T::String, false, false, "Why the event happened (e.g. flow export reason)."},
    {"event.sequence", T::Int, false, false, "The sensor's sequence number of the event (set by the correlator)."},
    // Who saw it
    {"observer.name", T::String, false, true, "The sensor id (set by the correlator from the sensor's key)."},
    {"observer.type", T::String, false, false, "packet, log, collector."},
    {"site.id", T::String, false, true, "The site of the sensor (set by the correlator from the sensor's key)."},
    {"site.name", T::String, false, false, "The site's name (inventory enrichment)."},
    {"site.level", T::Int, false, false, "The highest security level of the systems at the site (inventory enrichment)."},
    {"site.kind", T::String, false, false, "The site's kind: datacenter, commune, ward, department (inventory enrichment)."},
    {"asset.id", T::String, false, false, "Inventory id of the asset involved."},
    {"asset.kind", T::String, false, false, "Inventory kind of the asset (firewall, switch, server, ...)."},
    // Network
    {"source.ip", T::Ip, false, false, "Source address."},
    {"source.port", T::Int, false, false, "Source port."},
    {"source.bytes", T::Int, false, false, "Bytes sent by the source."},
    {"source.packets", T::Int, false, false, "Packets sent by the source."},
    {"source.mac", T::String, false, false, "Source MAC address."},
    {"source.domain", T::String, false, false, "Source domain name."},
    {"destination.ip", T::Ip, false, false, "Destination address."},
    {"destination.port", T::Int, false, false, "Destination port."},
    {"destination.bytes", T::Int, false, false, "Bytes sent by the destination."},
    {"destination.packets", T::Int, false, false, "Packets sent by the destination."},
    {"destination.mac", T::String, false, false, "Destination MAC address."},
    {"destination.domain", T::String, false, false, "Destination domain name."},
    {"network.transport", T::String, false, false, "tcp, udp, icmp, ipv6-icmp, ..."},
    {"network.protocol", T::String, false, false, "Application protocol in lower case (nDPI master protocol)."},
    {"network.bytes", T::Int, false, false, "Bytes in both directions."},
    {"network.packets", T::Int, false, false, "Packets in both directions."},
    {"network.direction", T::String, false, false, "inbound, outbound, internal, external."},
    {"network.type", T::String, false, false, "ipv4 or ipv6."},
    {"network.vlan.id", T::Int, false, false, "VLAN id of the flow."},
    {"network.community_id", T::String, false, false, "Community ID flow hash."},
    // nDPI
    {"ndpi.protocol", T::String, false, false, "Protocol exactly as nDPI names it (TLS.Google, DNS, Unknown)."},
    {"ndpi.category", T::String, false, false, "nDPI category name."},
    {"ndpi.risk", T::String, true, false, "nDPI flow risk names."},
    {"ndpi.risk_score", T::Int, false, false, "nDPI risk score of the flow."},
    {"ndpi.ssh.client_banner", T::String, false, false, "SSH client banner (software version) nDPI saw."},
    {"ndpi.ssh.server_banner", T::String, false, false, "SSH server banner (software version) nDPI saw."},
    // Application layer
    {"tls.version", T::String, false, false, "TLS version."},
    {"tls.client.server_name", T::String, false, false, "TLS SNI."},
    {"tls.client.ja3", T::String, false, false, "JA3 fingerprint of the client hello."},
    {"tls.server.ja3s", T::String, false, false, "JA3S fingerprint of the server hello."},
    {"tls.server.not_after", T::Timestamp, false, false, "Expiry of the server certificate."},
    {"tls.server.x509.subject.common_name", T::String, true, false, "Common name of the server certificate."},
    // Collectors (event.kind: state; docs/collector.md)
    {"tls.server.not_before", T::Timestamp, false, false, "Start of validity of the server certificate."},
    {"tls.server.x509.issuer.common_name", T::String, true, false, "Common name of the issuer of the server certificate."},
    {"tls.server.verified", T::Bool, false, false, "Collector: the certificate verified against the system's CAs and the server name."},
    {"destination.address", T::String, false, false, "Collector: the probed host as configured (name or address)."},
    {"error.message", T::String, false, false, "Why a probe failed (event.outcome: failure)."},
    {"observer.vendor", T::String, false, false, "Vendor of the probed appliance (Fortinet)."},
    {"observer.serial_number", T::String, false, false, "Serial number of the probed appliance."},
    {"asset.license.name", T::String, false, false, "License entry as the vendor names it (forticare.support.hardware, antivirus, ...)."},
    {"asset.license.status", T::String, false, false, "License status as the vendor says it (licensed, expired, ...)."},
    {"asset.license.expires", T::Timestamp, false, false, "When the license entry expires."},
    {"dns.question.name", T::String, false, false, "DNS query name."},
    {"dns.question.type", T::String, false, false, "DNS query type."},
    {"dns.response_code", T::String, false, false, "DNS response code."},
    {"http.request.method", T::String, false, false, "HTTP method."},
    {"http.response.status_code", T::Int, false, false, "HTTP status code."},
    {"http.request.referrer", T::String, false, false, "HTTP referrer."},
    {"url.domain", T::String, false, false, "Host part of the URL."},
    {"url.path", T::String, false, false, "Path of the URL, percent-decoded and normalized (web logs: see URL fields)."},
    {"url.query", T::String, false, false, "Query of the URL without '?', decoded ('+' as space, percent-decoding twice at most)."},
    {"url.original", T::String, false, false, "The URL as seen, raw."},
    {"user_agent.original", T::String, false, false, "User agent string."},
    {"http.version", T::String, false, false, "HTTP version (1.1, 2.0)."},
    {"http.response.body.bytes", T::Int, false, false, "Size of the response body in bytes."},
    {"observer.ingress.interface.name", T::String, false, false, "Interface a packet came in on (firewall logs)."},
    {"observer.egress.interface.name", T::String, false, false, "Interface a packet went out on (firewall logs)."},
    // Logs
    {"user.name", T::String, false, false, "User name."},
    {"user.target.name", T::String, false, false, "Target user (sudo, su, account creation)."},
    {"user.id", T::String, false, false, "User id (UID) of the account (account management)."},
    {"group.name", T::String, false, false, "Group name (account management: the group created, joined or left)."},
    {"file.path", T::String, false, false, "Full path of a file (a web server's missing script)."},
    {"group.id", T::String, false, false, "Group id (GID) (account management)."},
    {"host.hostname", T::String, false, false, "Host name of the machine that logged the event."},
    {"host.ip", T::Ip, true, false, "Addresses of the host."},
    {"process.name", T::String, false, false, "Program name."},
    {"process.pid", T::Int, false, false, "Process id."},
    {"process.command_line", T::String, false, false, "Full command line."},
    {"log.file.path", T::String, false, false, "File the line was read from."},
    {"log.source.address", T::String, false, false, "Address (ip:port) the line was received from (syslog listener)."},
    {"log.level", T::String, false, false, "Log level in the source's words."},
    {"log.syslog.facility.name", T::String, false, false, "Syslog facility."},
    {"log.syslog.severity.name", T::String, false, false, "Syslog severity."},
    {"log.syslog.priority", T::Int, false, false, "Syslog PRI value."},
    {"log.syslog.hostname", T::String, false, false, "Hostname in the syslog header."},
    {"log.syslog.appname", T::String, false, false, "APP-NAME / TAG in the syslog header."},
    // Alerts
    {"rule.id", T::String, false, false, "Id of the rule that raised the alert."},
    {"rule.name", T::String, false, false, "Title of the rule."},
    {"rule.ruleset", T::String, false, false, "The rule file."},
    {"threat.technique.id", T::String, true, false, "MITRE ATT&CK technique ids (T1110, ...)."},
    {"soc.group", T::String, false, false, "The correlation group key of an alert."},
    {"soc.count", T::Int, false, false, "Number of events behind an alert."},
    {"soc.suppressed", T::Int, false, false, "Alerts of the same rule and group held back since the previous one."},
    {"soc.evidence", T::String, true, false, "Ids or samples of the events behind an alert."},
    {"soc.clock_skew", T::String, false, false, "Set by the correlator when @timestamp is implausible: future or past (--clock-future, --clock-past)."},
    {"soc.url.decoded", T::String, false, false, "The request as decoded (path and query), dot segments kept: what web rules match."},
    {"soc.severity", T::String, false, false, "An alert's severity as a word: informational, low, medium, high, critical."},
    // Baseline findings (event.dataset: soc.baseline)
    {"soc.subject", T::String, false, false, "What a baseline finding is about: an asset, sensor or dataset, or a missing asset kind."},
    {"soc.system.id", T::String, false, false, "Inventory id of the information system of a baseline finding."},
    {"soc.system.level", T::Int, false, false, "Approved security level (1-5) of that information system."},
    {"soc.requirement.id", T::String, false, false, "Baseline requirement id (AST-02, MON-03, ...)."},
    {"soc.requirement.title", T::String, false, false, "The requirement's title in English."},
    {"soc.requirement.title_vi", T::String, false, false, "The requirement's title in Vietnamese."},
    {"soc.requirement.reference", T::String, false, false, "The requirement's legal reference."},
    {"soc.finding.status", T::String, false, false, "met, partially_met, not_met, not_applicable, not_assessable or waived (ADR 0025)."},
    {"soc.finding.previous_status", T::String, false, false, "The finding's status at the evaluation before."},
    // Heartbeats (event.dataset: soc.heartbeat)
    {"soc.sensor.version", T::String, false, false, "Software version of the sensor."},
    {"soc.sensor.uptime_seconds", T::Int, false, false, "Seconds since the sensor started."},
    {"soc.sensor.events_sent", T::Int, false, false, "Events the sensor has sent in this run."},
    {"soc.sensor.events_acked", T::Int, false, false, "Events the correlator has acknowledged in this run."},
    {"soc.sensor.events_dropped", T::Int, false, false, "Events the sensor dropped: the spool's limits or a failing disk (the events_dropped_* counters added up)."},
    {"soc.sensor.batches_resent", T::Int, false, false, "Batches sent again after a timeout or reconnect."},
    {"soc.sensor.next_sequence", T::Int, false, false, "Sequence number of the next event the sensor will send."},
    {"soc.sensor.events_unacked", T::Int, false, false, "Events the sender holds (memory, spool) that the correlator has not acknowledged yet."},
    {"soc.sensor.events_dropped_spool_full", T::Int, false, false, "Events deleted from the spool unacknowledged to make room (--spool-full drop-oldest at --spool-max-bytes)."},
    {"soc.sensor.events_dropped_spool_age", T::Int, false, false, "Events deleted from the spool unacknowledged because older than --spool-max-age."},
    {"soc.sensor.events_dropped_delivered", T::Int, false, false, "Of the events dropped: those dropped after they had been sent, whose acknowledgement came later (they reached the correlator after all)."},
    {"soc.sensor.events_dropped_disk_error", T::Int, false, false, "Events dropped because the disk refused spool writes (drop-oldest): spooled ones deleted to make room, or new ones when the in-memory window was full too."},
    {"soc.sensor.queue_batches", T::Int, false, false, "Batches the sender holds in memory (sent or waiting to be)."},
    {"soc.sensor.queue_batches_limit", T::Int, false, false, "The most batches the sender holds in memory."},
    {"soc.sensor.oldest_unacked_age_seconds", T::Float, false, false, "Age of the oldest event not yet acknowledged (0 when none)."},
    {"soc.sensor.spool_bytes", T::Int, false, false, "Bytes of the sender's spool (--spool)."},
    {"soc.sensor.spool_bytes_limit", T::Int, false, false, "The spool's limit (--spool-max-bytes)."},
    {"soc.sensor.spool_segments", T::Int, false, false, "Segment files in the spool."},
    {"soc.sensor.spool_batches", T::Int, false, false, "Batches in the spool not yet acknowledged."},
    {"soc.sensor.spool_events", T::Int, false, false, "Events in the spool not yet acknowledged."},
    {"soc.sensor.spool_events_recovered", T::Int, false, false, "Unacknowledged events the spool held when the sender started (sent again)."},
    {"soc.sensor.spool_torn_records", T::Int, false, false, "Incomplete last records found in the spool at start (a crash while writing), cut off."},
    {"soc.sensor.spool_corrupt_records", T::Int, false, false, "Damaged regions of spool files skipped (checksum or format errors)."},
    {"soc.sensor.spool_write_errors", T::Int, false, false, "Spool writes the disk refused (full, I/O error); retried with backoff."},
    {"soc.sensor.packets_received", T::Int, false, false, "Packet sensor: frames captured in this run."},
    {"soc.sensor.packets_dropped_kernel", T::Int, false, false, "Packet sensor: packets the kernel dropped (buffer full)."},
    {"soc.sensor.packets_dropped_interface", T::Int, false, false, "Packet sensor: packets the interface dropped."},
    {"soc.sensor.packets_malformed", T::Int, false, false, "Packet sensor: frames dropped as damaged (truncated, bad headers)."},
    {"soc.sensor.flows_active", T::Int, false, false, "Packet sensor: flows in the flow table."},
    {"soc.sensor.log_lines_read", T::Int, false, false, "Log sensor: lines (and journal entries) read in this run."},
    {"soc.sensor.log_events", T::Int, false, false, "Log sensor: events made from them (blank lines and comments give none)."},
    {"soc.sensor.log_lines_truncated", T::Int, false, false, "Log sensor: lines cut at --max-line-bytes."},
    {"soc.sensor.log_invalid_utf8", T::Int, false, false, "Log sensor: lines with invalid UTF-8 (replaced by U+FFFD in the output)."},
    {"soc.sensor.log_decode_fallbacks", T::Int, false, false, "Log sensor: lines no decoder knew, kept by the generic fallback."},
    {"soc.sensor.log_files_followed", T::Int, false, false, "Log sensor: files followed now (--file)."},
    {"soc.sensor.syslog_udp_messages", T::Int, false, false, "Log sensor: syslog messages received over UDP."},
    {"soc.sensor.syslog_tcp_messages", T::Int, false, false, "Log sensor: syslog messages received over TCP."},
    {"soc.sensor.syslog_tcp_connections", T::Int, false, false, "Log sensor: syslog TCP connections open now."},
    {"soc.sensor.syslog_tcp_refused", T::Int, false, false, "Log sensor: syslog TCP connections refused (per-source or total limit)."},
    {"soc.sensor.syslog_tcp_closed_idle", T::Int, false, false, "Log sensor: syslog TCP connections closed for silence (idle timeout, or to make room)."},
    {"soc.sensor.journal_entries", T::Int, false, false, "Log sensor: systemd journal entries read (--journal)."},
    {"soc.sensor.probes", T::Int, false, false, "Collector: probe results produced in this run."},
    {"soc.sensor.probe_failures", T::Int, false, false, "Collector: probe results with event.outcome failure."},
};

// An open-addressing table: the decoder looks up every key of every event. The hash takes
// eight bytes at a time (a multiply and a shift per word), several times faster than FNV-1a's
// byte loop or std::unordered_map's node chasing on keys of 10-30 bytes.
constexpr size_t kSlots = 512;  // a power of two, more than twice the number of fields
static_assert(std::size(kFields) * 2 < kSlots);

uint64_t key_hash(std::string_view s) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (h ^ tail) * 0x94D049BB133111EBull;
  return h ^ (h >> 29);
}

struct Index {
  std::array<const FieldSpec*, kSlots> slots{};
  Index() {
    for (const auto& f : kFields) {
      size_t i = key_hash(f.name) & (kSlots - 1);
      while (slots[i]) i = (i + 1) & (kSlots - 1);
      slots[i] = &f;
    }
  }
};

const Index& index() {
  static const Index idx;
  return idx;
}

}  // namespace

std::span<const FieldSpec> field_specs() { return kFields; }

const FieldSpec* find_field_spec(std::string_view name) {
  const auto& idx = index();
  for (size_t i = key_hash(name) & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
    const FieldSpec* f = idx.slots[i];
    if (!f) return nullptr;
    if (f->name == name) return f;
  }
}

}  // namespace soc
