#include "daemon/telemetry/metrics.h"

#include <fmt/core.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <mutex>

namespace soc::daemon::telemetry {

void Counter::inc(double v) { static_cast<prometheus::Counter*>(impl_)->Increment(v); }
double Counter::value() const { return static_cast<prometheus::Counter*>(impl_)->Value(); }
void Gauge::set(double v) { static_cast<prometheus::Gauge*>(impl_)->Set(v); }
void Gauge::inc(double v) { static_cast<prometheus::Gauge*>(impl_)->Increment(v); }
double Gauge::value() const { return static_cast<prometheus::Gauge*>(impl_)->Value(); }
void Histogram::observe(double v) { static_cast<prometheus::Histogram*>(impl_)->Observe(v); }

struct Registry::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::mutex mutex;  // family creation; the metric values themselves are atomic
  std::map<std::string, prometheus::Family<prometheus::Counter>*> counters;
  std::map<std::string, prometheus::Family<prometheus::Gauge>*> gauges;
  std::map<std::string, prometheus::Family<prometheus::Histogram>*> histograms;
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {}
Registry::~Registry() = default;

namespace {
std::map<std::string, std::string> to_map(const Labels& labels) {
  return std::map<std::string, std::string>(labels.begin(), labels.end());
}
}  // namespace

Counter Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(impl_->mutex);
  auto& fam = impl_->counters[name];
  if (!fam) fam = &prometheus::BuildCounter().Name(name).Help(help).Register(*impl_->registry);
  return Counter(&fam->Add(to_map(labels)));
}

Gauge Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(impl_->mutex);
  auto& fam = impl_->gauges[name];
  if (!fam) fam = &prometheus::BuildGauge().Name(name).Help(help).Register(*impl_->registry);
  return Gauge(&fam->Add(to_map(labels)));
}

Histogram Registry::histogram(const std::string& name, const std::string& help, const Labels& labels,
                              const std::vector<double>& buckets) {
  std::lock_guard lock(impl_->mutex);
  auto& fam = impl_->histograms[name];
  if (!fam) fam = &prometheus::BuildHistogram().Name(name).Help(help).Register(*impl_->registry);
  return Histogram(&fam->Add(to_map(labels), prometheus::Histogram::BucketBoundaries(buckets)));
}

void Registry::remove(const std::string& name, Gauge gauge) {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->gauges.find(name);
  if (it == impl_->gauges.end() || !gauge) return;
  it->second->Remove(static_cast<prometheus::Gauge*>(gauge.impl_));
}

std::string Registry::serialize() const {
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

}  // namespace soc::daemon::telemetry
