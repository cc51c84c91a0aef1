#include "daemon/sensor_report.h"

#include <array>

#include "core/log.h"

namespace soc::daemon {

namespace {

using K = ReportedKind;

// The heartbeat fields of docs/fields.md (core/fields.cpp) with their metric. A counter is named
// after its field with `_total`, a gauge after its field (the unit is in the field's name).
constexpr std::array kFields = {
    // The transport's own fields, in every sender's heartbeat (core/transport/sender.cpp).
    ReportedField{"uptime_seconds", K::Gauge, "soc_sensor_uptime_seconds", "Seconds since the sensor started, from its heartbeat."},
    ReportedField{"events_sent", K::Counter, "soc_sensor_events_sent_total", "Events the sensor handed to its sender."},
    ReportedField{"events_acked", K::Counter, "soc_sensor_events_acked_total", "Events of the sensor the correlator acknowledged."},
    ReportedField{"events_dropped", K::Counter, "soc_sensor_events_dropped_total",
                  "Events the sensor dropped unacknowledged: the spool's limits or a failing disk."},
    ReportedField{"batches_resent", K::Counter, "soc_sensor_batches_resent_total",
                  "Batches the sensor sent again after a timeout or a reconnection."},
    ReportedField{"next_sequence", K::Gauge, "soc_sensor_next_sequence",
                  "Sequence number of the next event the sensor will send, from its heartbeat."},
    ReportedField{"events_unacked", K::Gauge, "soc_sensor_events_unacked",
                  "Events the sender holds (memory, spool) that the correlator has not acknowledged yet."},
    ReportedField{"events_dropped_spool_full", K::Counter, "soc_sensor_events_dropped_spool_full_total",
                  "Events deleted from the spool unacknowledged to make room (--spool-full drop-oldest)."},
    ReportedField{"events_dropped_spool_age", K::Counter, "soc_sensor_events_dropped_spool_age_total",
                  "Events deleted from the spool unacknowledged because older than --spool-max-age."},
    ReportedField{"events_dropped_delivered", K::Counter, "soc_sensor_events_dropped_delivered_total",
                  "Of the events dropped: those dropped after being sent and acknowledged later (they arrived)."},
    ReportedField{"events_dropped_disk_error", K::Counter, "soc_sensor_events_dropped_disk_error_total",
                  "Events dropped because the disk refused spool writes (--spool-full drop-oldest)."},
    ReportedField{"queue_batches", K::Gauge, "soc_sensor_queue_batches", "Batches the sender holds in memory."},
    ReportedField{"queue_batches_limit", K::Gauge, "soc_sensor_queue_batches_limit",
                  "The most batches the sender holds in memory."},
    ReportedField{"oldest_unacked_age_seconds", K::Gauge, "soc_sensor_oldest_unacked_age_seconds",
                  "Age of the sender's oldest event not yet acknowledged (0 when none)."},
    // Senders with --spool
    ReportedField{"spool_bytes", K::Gauge, "soc_sensor_spool_bytes", "Bytes of the sender's spool."},
    ReportedField{"spool_bytes_limit", K::Gauge, "soc_sensor_spool_bytes_limit",
                  "The spool's limit (--spool-max-bytes)."},
    ReportedField{"spool_segments", K::Gauge, "soc_sensor_spool_segments", "Segment files in the sender's spool."},
    ReportedField{"spool_batches", K::Gauge, "soc_sensor_spool_batches", "Batches in the spool not yet acknowledged."},
    ReportedField{"spool_events", K::Gauge, "soc_sensor_spool_events", "Events in the spool not yet acknowledged."},
    ReportedField{"spool_events_recovered", K::Counter, "soc_sensor_spool_events_recovered_total",
                  "Unacknowledged events the spool held when the sender started (sent again)."},
    ReportedField{"spool_torn_records", K::Counter, "soc_sensor_spool_torn_records_total",
                  "Incomplete last spool records found at start (a crash while writing), cut off."},
    ReportedField{"spool_corrupt_records", K::Counter, "soc_sensor_spool_corrupt_records_total",
                  "Damaged regions of spool files skipped (checksum or format errors)."},
    ReportedField{"spool_write_errors", K::Counter, "soc_sensor_spool_write_errors_total",
                  "Spool writes the disk refused (full, I/O error); retried with backoff."},
    // soc-packet-sensor
    ReportedField{"packets_received", K::Counter, "soc_sensor_packets_received_total", "Packet sensor: frames captured."},
    ReportedField{"packets_dropped_kernel", K::Counter, "soc_sensor_packets_dropped_kernel_total",
                  "Packet sensor: packets the kernel dropped because the capture buffer was full."},
    ReportedField{"packets_dropped_interface", K::Counter, "soc_sensor_packets_dropped_interface_total",
                  "Packet sensor: packets the network interface dropped."},
    ReportedField{"packets_malformed", K::Counter, "soc_sensor_packets_malformed_total",
                  "Packet sensor: frames dropped as damaged (truncated, bad headers)."},
    ReportedField{"flows_active", K::Gauge, "soc_sensor_flows_active", "Packet sensor: flows in the flow table."},
    // soc-log-sensor
    ReportedField{"log_lines_read", K::Counter, "soc_sensor_log_lines_read_total", "Log sensor: lines and journal entries read."},
    ReportedField{"log_events", K::Counter, "soc_sensor_log_events_total", "Log sensor: events made from the lines read."},
    ReportedField{"log_lines_truncated", K::Counter, "soc_sensor_log_lines_truncated_total",
                  "Log sensor: lines cut at --max-line-bytes."},
    ReportedField{"log_invalid_utf8", K::Counter, "soc_sensor_log_invalid_utf8_total",
                  "Log sensor: lines with invalid UTF-8 (replaced by U+FFFD)."},
    ReportedField{"log_decode_fallbacks", K::Counter, "soc_sensor_log_decode_fallbacks_total",
                  "Log sensor: lines no decoder knew, kept by the generic fallback."},
    ReportedField{"log_files_followed", K::Gauge, "soc_sensor_log_files_followed", "Log sensor: files followed now (--file)."},
    ReportedField{"syslog_udp_messages", K::Counter, "soc_sensor_syslog_udp_messages_total",
                  "Log sensor: syslog messages received over UDP."},
    ReportedField{"syslog_tcp_messages", K::Counter, "soc_sensor_syslog_tcp_messages_total",
                  "Log sensor: syslog messages received over TCP."},
    ReportedField{"syslog_tcp_connections", K::Gauge, "soc_sensor_syslog_tcp_connections",
                  "Log sensor: syslog TCP connections open now."},
    ReportedField{"syslog_tcp_refused", K::Counter, "soc_sensor_syslog_tcp_refused_total",
                  "Log sensor: syslog TCP connections refused (per-source or total limit)."},
    ReportedField{"syslog_tcp_closed_idle", K::Counter, "soc_sensor_syslog_tcp_closed_idle_total",
                  "Log sensor: syslog TCP connections closed for silence (idle timeout, or to make room)."},
    ReportedField{"journal_entries", K::Counter, "soc_sensor_journal_entries_total",
                  "Log sensor: systemd journal entries read (--journal)."},
    // soc-collector
    ReportedField{"probes", K::Counter, "soc_sensor_probes_total", "Collector: probe results produced."},
    ReportedField{"probe_failures", K::Counter, "soc_sensor_probe_failures_total",
                  "Collector: probe results with event.outcome failure."},
};

const ReportedField* find_field(std::string_view name) {
  for (const auto& f : kFields)
    if (f.field == name) return &f;
  return nullptr;
}

constexpr size_t kMaxUnknownLogged = 16;
constexpr size_t kMaxVersionBytes = 64;
constexpr std::string_view kPrefix = "soc.sensor.";

}  // namespace

std::span<const ReportedField> reported_fields() { return kFields; }

SensorReport::SensorReport(telemetry::Registry& metrics, std::string sensor, std::string site)
    : metrics_(metrics), sensor_(std::move(sensor)), site_(std::move(site)) {
  // At 0 from the sensor's first heartbeat, so that an increase() over it works.
  unknown_ = metrics_.counter("soc_heartbeat_fields_unknown_total",
                              "Numeric soc.sensor.* heartbeat fields the correlator does not know, so does not export.",
                              {{"sensor", sensor_}});
}

SensorReport::Series& SensorReport::series(const ReportedField& f) {
  auto [it, fresh] = series_.try_emplace(f.field);
  if (fresh) {
    const telemetry::Labels labels{{"sensor", sensor_}, {"site", site_}};
    const std::string name(f.metric), help(f.help);
    if (f.kind == ReportedKind::Counter)
      it->second.counter = metrics_.counter(name, help, labels);
    else
      it->second.gauge = metrics_.gauge(name, help, labels);
  }
  return it->second;
}

void SensorReport::set_version(std::string_view version) {
  if (version.size() > kMaxVersionBytes) version = version.substr(0, kMaxVersionBytes);
  if (version_gauge_ && version == version_) return;
  if (version_gauge_) metrics_.remove("soc_sensor_build_info", version_gauge_);
  version_.assign(version);
  version_gauge_ = metrics_.gauge("soc_sensor_build_info", "Software version a sensor reports in its heartbeat (always 1).",
                                  {{"sensor", sensor_}, {"site", site_}, {"version", version_}});
  version_gauge_.set(1);
}

void SensorReport::on_heartbeat(const Event& heartbeat, uint64_t epoch) {
  // A new epoch is a new run of the sender: its counters started again from zero.
  if (have_epoch_ && epoch != epoch_) {
    for (auto& [name, s] : series_) {
      (void)name;
      s.last = 0;
    }
  }
  have_epoch_ = true;
  epoch_ = epoch;
  for (const auto& f : heartbeat) {
    if (f.key.rfind(kPrefix, 0) != 0) continue;
    const std::string_view name = std::string_view(f.key).substr(kPrefix.size());
    if (name == "version") {
      if (f.value.is_string()) set_version(f.value.as_string());
      continue;
    }
    if (!(f.value.is_int() || f.value.is_float())) continue;
    const double v = f.value.is_int() ? static_cast<double>(f.value.as_int()) : f.value.as_float();
    const ReportedField* known = find_field(name);
    if (!known) {
      unknown_.inc();
      if (unknown_logged_.size() < kMaxUnknownLogged && unknown_logged_.emplace(name).second) {
        log::warn("ingest", "sensor {} reports soc.sensor.{}, which this correlator does not know: not exported", sensor_,
                  name);
      }
      continue;
    }
    Series& s = series(*known);
    if (known->kind == ReportedKind::Gauge) {
      s.gauge.set(v);
      continue;
    }
    if (!(v >= 0)) continue;  // a count is never negative (nor NaN)
    // A lower value than before is a new run too (a sender that kept its epoch in a spool).
    const double grown = v < s.last ? v : v - s.last;
    if (grown > 0) s.counter.inc(grown);
    s.last = v;
  }
}

}  // namespace soc::daemon
