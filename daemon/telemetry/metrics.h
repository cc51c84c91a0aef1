// The correlator's metrics, behind one adapter for prometheus-cpp (the only folder that
// includes it). Handles are cheap to copy and stay valid while the Registry lives; take them
// once and keep them: an increment on a handle costs nanoseconds, a label lookup a hundred times
// more (../shared/reference/perf-baselines.md, section 4).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace soc::daemon::telemetry {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  Counter() = default;
  void inc(double v = 1.0);
  double value() const;
  explicit operator bool() const { return impl_ != nullptr; }

 private:
  friend class Registry;
  explicit Counter(void* impl) : impl_(impl) {}
  void* impl_ = nullptr;
};

class Gauge {
 public:
  Gauge() = default;
  void set(double v);
  void inc(double v = 1.0);
  double value() const;
  explicit operator bool() const { return impl_ != nullptr; }

 private:
  friend class Registry;
  explicit Gauge(void* impl) : impl_(impl) {}
  void* impl_ = nullptr;
};

class Histogram {
 public:
  Histogram() = default;
  void observe(double v);
  explicit operator bool() const { return impl_ != nullptr; }

 private:
  friend class Registry;
  explicit Histogram(void* impl) : impl_(impl) {}
  void* impl_ = nullptr;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Families are created on first use of a name; the same name returns the same family.
  Counter counter(const std::string& name, const std::string& help, const Labels& labels);
  Gauge gauge(const std::string& name, const std::string& help, const Labels& labels);
  // `buckets`: the upper bounds, increasing (+Inf is implicit).
  Histogram histogram(const std::string& name, const std::string& help, const Labels& labels,
                      const std::vector<double>& buckets);
  // Removes one series of the gauge family `name` (a label set that no longer exists, e.g. an
  // asset removed from the inventory by a reload). The handle must not be used afterwards.
  void remove(const std::string& name, Gauge gauge);

  // The text exposition of every metric (Prometheus text format 0.0.4): what GET /metrics serves
  // (daemon/http), and what tests read. Thread-safe.
  std::string serialize() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace soc::daemon::telemetry
