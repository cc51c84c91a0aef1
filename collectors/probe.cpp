#include "collectors/probe.h"

#include <fmt/core.h>

#include "core/http/client.h"
#include "collectors/license_source.h"
#include "collectors/tcp_connect.h"
#include "collectors/tls_adapter.h"
#include "core/config/secret_file.h"
#include "core/config/yaml_util.h"
#include "core/ip_address.h"

namespace soc::collectors {

namespace {

using Clock = std::chrono::steady_clock;

Event base_event(const Target& t, std::string_view dataset, std::string_view category, std::string_view host,
                 uint16_t port) {
  Event e;
  e.set("@timestamp", now());
  e.set("event.kind", "state");
  e.set("event.dataset", dataset);
  e.set("event.category", List{Value(category)});
  e.set("event.type", List{Value("info")});
  e.set("observer.type", "collector");
  e.set("destination.address", host);
  if (port) e.set("destination.port", static_cast<int64_t>(port));
  if (!t.asset_id.empty()) e.set("asset.id", t.asset_id);
  return e;
}

void finish(Event& e, Clock::time_point start, const std::string* error) {
  e.set("event.outcome", error ? "failure" : "success");
  if (error) e.set("error.message", *error);
  e.set("event.duration", static_cast<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()));
}

std::vector<Event> probe_tcp(const Target& t, const ProbeOptions& o) {
  const auto start = Clock::now();
  Event e = base_event(t, "collector.tcp", "network", t.host, t.port);
  auto s = connect_tcp(t.host, t.port, o.timeout);
  finish(e, start, s ? nullptr : &s.error().message);
  return {std::move(e)};
}

std::vector<Event> probe_tls(const Target& t, const ProbeOptions& o) {
  const auto start = Clock::now();
  Event e = base_event(t, "collector.tls", "network", t.host, t.port);
  // The name sent and verified: the SNI given, else the host (a name is sent as SNI, an address
  // is only verified against the certificate's IP entries).
  const std::string& name = t.sni.empty() ? t.host : t.sni;
  const bool name_is_ip = IpAddress::parse(name).has_value();
  const std::string sni = name_is_ip ? std::string() : name;
  if (!sni.empty()) e.set("tls.client.server_name", sni);
  auto s = connect_tcp(t.host, t.port, o.timeout);
  if (!s) {
    finish(e, start, &s.error().message);
    return {std::move(e)};
  }
  auto cert = read_server_certificate(*s, sni, name, o.timeout);
  if (!cert) {
    finish(e, start, &cert.error().message);
    return {std::move(e)};
  }
  e.set("tls.version", cert->version);
  e.set("tls.server.not_before", cert->not_before);
  e.set("tls.server.not_after", cert->not_after);
  if (!cert->subject_cn.empty()) e.set("tls.server.x509.subject.common_name", List{Value(cert->subject_cn)});
  if (!cert->issuer_cn.empty()) e.set("tls.server.x509.issuer.common_name", List{Value(cert->issuer_cn)});
  e.set("tls.server.verified", cert->verified);
  if (!cert->verified) e.set("message", "certificate not verified: " + cert->verify_error);
  finish(e, start, nullptr);
  return {std::move(e)};
}

std::vector<Event> probe_license(const Target& t, const ProbeOptions& o) {
  const auto start = Clock::now();
  std::string host = t.url;
  uint16_t port = 0;
  if (auto u = http::parse_url(t.url)) {
    host = u->host;
    port = u->port;
  }
  auto failure = [&](const std::string& why) {
    Event e = base_event(t, "collector.license", "configuration", host, port);
    finish(e, start, &why);
    std::vector<Event> out;
    out.push_back(std::move(e));
    return out;
  };
  auto source = make_license_source(t.vendor);
  if (!source) return failure(fmt::format("no license reader for vendor '{}'", t.vendor));
  LicenseReadOptions ro;
  ro.timeout = o.timeout;
  ro.verify_tls = !(t.insecure || o.fortios_insecure);
  ro.token = o.fortios_token;
  if (!t.token_file.empty()) {
    auto token = config::read_secret_token(t.token_file);
    if (!token) return failure("token_file: " + token.error().message);
    ro.token = std::move(*token);
  }
  auto report = source->read(t, ro);
  if (!report) {
    auto out = failure(report.error().message);
    out.front().set("observer.vendor", source->vendor());
    return out;
  }
  std::vector<Event> out;
  for (const auto& entry : report->entries) {
    Event e = base_event(t, "collector.license", "configuration", host, port);
    e.set("observer.vendor", source->vendor());
    if (!report->serial.empty()) e.set("observer.serial_number", report->serial);
    e.set("asset.license.name", entry.name);
    if (!entry.status.empty()) e.set("asset.license.status", entry.status);
    if (entry.expires) e.set("asset.license.expires", *entry.expires);
    finish(e, start, nullptr);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::vector<Event> probe(const Target& target, const ProbeOptions& options) {
  switch (target.kind) {
    case TargetKind::Tcp: return probe_tcp(target, options);
    case TargetKind::Tls: return probe_tls(target, options);
    case TargetKind::License: return probe_license(target, options);
  }
  return {};
}

}  // namespace soc::collectors
