#include "daemon/rules/engine.h"

#include "core/json_codec.h"
#include "core/state_codec.h"
#include "daemon/rules/engine_state_format.h"
#include "daemon/rules/match.h"
#include "core/severity.h"
#include "daemon/rules/plan.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <deque>
#include <list>
#include <optional>
#include <unordered_map>

namespace soc::daemon::rules {
namespace {

using std::chrono::microseconds;

// soc.evidence (ADR 0008, "Alerts"): at most this many entries per alert, the first in time.
constexpr size_t kMaxEvidence = 10;
// A sample (an event without an id) is its JSON, cut to this many bytes.
constexpr size_t kMaxSampleBytes = 512;

// The id of an event: event.id, else observer.name:event.sequence; empty when it has neither.
// `fields`: the index of the event being processed (other events are scanned).
std::string evidence_id(const Event& event, const FieldIndex& fields) {
  // The correlator stamps event.id on every event: it is looked up once and copied once (this
  // runs for every event of every correlation that counts it).
  const Value* id = fields.find(event, "event.id");
  if (id != nullptr) {
    if (id->is_string()) {
      if (!id->as_string().empty()) return std::string(id->as_string());
    } else if (std::string text = id->to_text(); !text.empty()) {
      return text;
    }
  }
  const Value* seq = fields.find(event, "event.sequence");
  if (seq == nullptr) return {};
  const std::string_view name = fields.get_string(event, "observer.name");
  std::string out;
  out.reserve(name.size() + 21);
  out += name;
  out += ':';
  seq->append_text(out);
  return out;
}
std::string evidence_id(const Event& event) { return evidence_id(event, FieldIndex{}); }

// An event's evidence: its id, or a bounded sample of it.
std::string evidence_of(const Event& event) {
  std::string e = evidence_id(event);
  if (!e.empty()) return e;
  e = encode_event(event);
  if (e.size() > kMaxSampleBytes) e.resize(kMaxSampleBytes);
  return e;
}

// Fields of a matching event copied into a plain rule's alert, so that analysts see who and where:
// the key fields, then where the event was seen.
constexpr std::string_view kWhereFields[] = {"site.id", "observer.name"};

// The bytes of evidence events held by the groups of one engine (across rule reloads), so that
// keeping evidence costs a bounded amount of memory. Released when the last holder lets go of
// an event (a deleter of the shared string), possibly on another thread.
struct EvidenceBudget {
  std::atomic<size_t> used{0};
};

}  // namespace

bool Threshold::holds(double v) const {
  if (gt && !(v > *gt)) return false;
  if (gte && !(v >= *gte)) return false;
  if (lt && !(v < *lt)) return false;
  if (lte && !(v <= *lte)) return false;
  if (eq && !(v == *eq)) return false;
  if (neq && !(v != *neq)) return false;
  return true;
}

namespace {
bool has_not(const CondNode& n) {
  if (n.kind == CondNode::Kind::Not) return true;
  return std::any_of(n.children.begin(), n.children.end(), has_not);
}
bool eval_seen(const CondNode& n, const std::vector<int>& per_rule) {
  switch (n.kind) {
    case CondNode::Kind::And:
      return std::all_of(n.children.begin(), n.children.end(), [&](const CondNode& c) { return eval_seen(c, per_rule); });
    case CondNode::Kind::Or:
      return std::any_of(n.children.begin(), n.children.end(), [&](const CondNode& c) { return eval_seen(c, per_rule); });
    case CondNode::Kind::Not: return !eval_seen(n.children[0], per_rule);
    case CondNode::Kind::Sel: return per_rule[static_cast<size_t>(n.selection)] > 0;
  }
  return false;
}

// A hash table that grows by doubling moves every node at once when it doubles, a cache miss
// each: 20-40 ms for a table of 50,000-100,000 groups. Under a flood of new source addresses the
// group tables of the four SSH correlations and the suppression tables of the two brute-force
// rules grow in step and doubled in the same batch: 50-130 ms of the ingest thread at once, the
// flood's latency tail (bench/README.md, "The alert store off the ingest thread"). A table that
// has its first few thousand entries is sized for its bound instead, once (about 8 bytes a
// group of the bound: 0.8 MiB for 100,000), so that it never rehashes again.
template <class Map>
void presize(Map& table, size_t bound) {
  constexpr size_t kPresizeAt = 4096;
  constexpr size_t kPresizeMax = size_t{1} << 22;  // a larger bound grows as before
  if (table.size() >= kPresizeAt && bound > kPresizeAt && bound <= kPresizeMax && table.bucket_count() <= bound)
    table.reserve(bound + 1);  // +1: a new group is inserted before the bound evicts one
}
}  // namespace

bool Correlation::decided_at_close() const {
  return expression ? has_not(*expression) : condition.at_close();
}

bool match_pattern_value(const Pattern& p, const Value* v, const Event& event) { return match_pattern(p, v, event); }

bool matches(const Rule& rule, const Event& event) {
  return logsource_matches(rule, event) && eval(rule.condition, rule, event);
}

bool logsource_matches(const Rule& rule, const Event& event) { return logsource_matches(rule, event, FieldIndex{}); }

bool logsource_matches(const Rule& rule, const Event& event, const FieldIndex& fields) {
  for (const auto& [field, want] : rule.logsource) {
    const Value* v = fields.find(event, field);
    if (v == nullptr) return false;
    bool ok = false;
    if (v->is_list()) {
      for (const auto& e : v->as_list()) ok = ok || equal_fold(e.to_text(), want);
    } else {
      ok = v->is_string() ? equal_fold(v->as_string(), want) : equal_fold(v->to_text(), want);
    }
    if (!ok) return false;
  }
  return true;
}

// --- correlations --------------------------------------------------------------------------

namespace {

struct Entry {
  Timestamp ts;
  Timestamp start;     // first evidence: ts, or a chained alert's event.start
  int rule = -1;       // the referenced rule that produced it
  std::string value;   // value_count: the value's text
  double number = 0;   // value_sum / value_avg
  int64_t count = 1;   // events behind it (a chained correlation's alert stands for soc.count events)
  std::string evidence;                // its id or a sample (empty: none kept)
  std::shared_ptr<const std::string> json;  // the event, when kept (EngineOptions::keep_evidence)
  std::vector<EvidenceEvent> chained;  // a chained alert's soc.evidence (with its events when kept)
  // Correlation::deduplicate only: the `by` values, the event's dataset, and whether an event of
  // another log was already taken for the same attempt as this one.
  std::string dedupe;
  std::string dataset;
  bool paired = false;
};

// A group's entries: a vector consumed from the front. Most groups hold a few entries and many
// are created and dropped per second (one per flow pair for a scan rule); std::deque allocates
// a map and a 512-byte block even when empty.
class EntryQueue {
 public:
  using iterator = std::vector<Entry>::iterator;
  using const_iterator = std::vector<Entry>::const_iterator;
  iterator begin() { return v_.begin() + static_cast<ptrdiff_t>(head_); }
  iterator end() { return v_.end(); }
  const_iterator begin() const { return v_.begin() + static_cast<ptrdiff_t>(head_); }
  const_iterator end() const { return v_.end(); }
  bool empty() const { return head_ == v_.size(); }
  size_t size() const { return v_.size() - head_; }
  Entry& front() { return v_[head_]; }
  const Entry& front() const { return v_[head_]; }
  const Entry& back() const { return v_.back(); }
  iterator insert(iterator pos, Entry e) { return v_.insert(pos, std::move(e)); }
  // Empties the queue and gives its storage back: a group that fired stays open, mostly idle
  // (a brute force that stopped), and would hold the capacity of its last window (up to 16
  // entries of about 200 bytes), which the bound on rule state does not count.
  void clear() {
    std::vector<Entry>().swap(v_);
    head_ = 0;
  }
  void pop_front() {
    v_[head_] = Entry{};
    if (++head_ == v_.size()) {
      v_.clear();
      head_ = 0;
    } else if (head_ >= 64 && head_ * 2 >= v_.size()) {
      v_.erase(v_.begin(), v_.begin() + static_cast<ptrdiff_t>(head_));
      head_ = 0;
    }
  }

 private:
  std::vector<Entry> v_;
  size_t head_ = 0;
};

// value_count: the distinct values of a group's entries, each with the number of entries that
// hold it. Most groups hold a few values (a scan rule's group per address pair): a vector
// searched linearly, one allocation; a hash map once they are more than kFlat.
class DistinctValues {
 public:
  // Counts one more entry with `v`; true when no entry held it before.
  bool add(const std::string& v) {
    if (!map_.empty()) return ++map_[v] == 1;
    for (auto& [value, n] : flat_)
      if (value == v) return ++n == 1;
    if (flat_.size() < kFlat) {
      flat_.emplace_back(v, 1);
      return true;
    }
    for (auto& [value, n] : flat_) map_.emplace(std::move(value), n);
    flat_.clear();
    flat_.shrink_to_fit();
    map_.emplace(v, 1);
    return true;
  }
  // Counts one entry with `v` less; true when it was the last (the value is gone).
  bool remove(const std::string& v) {
    if (!map_.empty()) {
      auto it = map_.find(v);
      if (it == map_.end() || --it->second != 0) return false;
      map_.erase(it);
      return true;
    }
    for (size_t i = 0; i < flat_.size(); ++i) {
      if (flat_[i].first != v) continue;
      if (--flat_[i].second != 0) return false;
      if (i + 1 != flat_.size()) flat_[i] = std::move(flat_.back());
      flat_.pop_back();
      return true;
    }
    return false;
  }
  size_t size() const { return map_.empty() ? flat_.size() : map_.size(); }

 private:
  static constexpr size_t kFlat = 16;
  std::vector<std::pair<std::string, int>> flat_;
  std::unordered_map<std::string, int> map_;
};

// Entries per referenced rule, by slot: inline for up to kInline rules, so that the group of a
// correlation over one rule (most) allocates nothing for it.
class RuleCounts {
 public:
  void assign(size_t n, int v) {
    n_ = n;
    if (n > kInline) more_.assign(n, v);
    else inline_.fill(v);
  }
  int& operator[](size_t i) { return n_ > kInline ? more_[i] : inline_[i]; }
  int operator[](size_t i) const { return n_ > kInline ? more_[i] : inline_[i]; }

 private:
  static constexpr size_t kInline = 4;
  std::array<int, kInline> inline_{};
  std::vector<int> more_;
  size_t n_ = 0;
};

struct Group {
  std::vector<Value> values;  // of the group-by fields, in order
  EntryQueue entries;  // sorted by ts, then arrival
  DistinctValues distinct;  // value_count
  RuleCounts per_rule;      // temporal: entries per referenced rule
  double sum = 0;
  int64_t events = 0;
  Timestamp newest{};
  std::list<std::pair<const std::string*, Group*>>::iterator lru;  // in CorrState::lru, or ::hot when `hot`
  bool hot = false;
  // For the bound on all rule state (EngineOptions::max_state_*): when the group was last
  // updated (the engine's touch clock), its estimated bytes, and whether they count (a window
  // being closed is a temporary group that does not).
  uint64_t touched = 0;
  size_t bytes = 0;
  bool in_state = false;
  // The site.id of the group's events while they all came from one site: the alert carries it
  // (soc_alerts_total{site}, the analyst's "where") unless the events came from several.
  std::string site;
  bool mixed_sites = false;
  // The key fields (kAlertKeyFields) of the newest event of the window: the alert carries them.
  Event last_fields;

  void note_site(std::string_view s) {
    if (s.empty() || mixed_sites || s == site) return;
    if (site.empty()) site.assign(s);
    else mixed_sites = true;
  }
};

// Entries kept per group; beyond, the oldest are dropped (see the ADR).
constexpr size_t kMaxEntriesPerGroup = 65536;

// A correlation's groups, in two lists ordered by last update (least recent first; the pointers,
// to the group and to its key in the map, save a lookup and a copy: unordered_map nodes are
// stable): groups updated once (`lru`), and groups
// updated again since (`hot`). Under a bound, groups of one event go first: a flood of distinct
// sources, one event each, cannot push out a brute force that has begun (a segmented LRU).
using GroupList = std::list<std::pair<const std::string*, Group*>>;
struct CorrState {
  std::unordered_map<std::string, Group> groups;
  GroupList lru;
  GroupList hot;
  GroupList& list_of(const Group& g) { return g.hot ? hot : lru; }
  // The list whose front was updated least recently (null when both are empty).
  GroupList* oldest() {
    if (lru.empty()) return hot.empty() ? nullptr : &hot;
    if (hot.empty()) return &lru;
    return lru.front().second->touched < hot.front().second->touched ? &lru : &hot;
  }
};

// Estimated bytes of rule state, for the bound (ADR 0030): what the allocator holds for a group
// and an entry, near enough to bound memory, cheap enough to keep up to date on every event.
constexpr size_t kNodeBytes = 64;  // a hash or list node with its allocator overhead
// An evidence event kept as JSON counts where it is held (a chained alert's copy again: an
// overestimate, on the safe side).
size_t entry_bytes(const Entry& e) {
  size_t n = sizeof(Entry) + e.value.size() + e.evidence.size() + (e.json ? kNodeBytes + e.json->size() : 0);
  for (const auto& c : e.chained) n += sizeof(EvidenceEvent) + c.id.size() + (c.json ? kNodeBytes + c.json->size() : 0);
  return n;
}
size_t group_base_bytes(const std::string& key, const std::vector<Value>& values) {
  size_t n = sizeof(Group) + 2 * (kNodeBytes + key.size());  // the map's node and the LRU's
  for (const auto& v : values) n += sizeof(Value) + (v.is_string() ? v.as_string().size() : 0);
  return n;
}

// A rule's suppressions (ADR 0008, "suppress"): per key, the time of the last alert that went
// out and the repeats held back since, in a list ordered by last use (least recent first): an
// alert that goes out or is held back moves its key to the end. Under the bound
// (EngineOptions::max_groups_per_rule) the least recently used key goes, so that a source
// still being held back is not forgotten (and alerting again) while idle keys stay. Like
// CorrState, the list points at the keys of the map's nodes, which are stable.
class SuppressionTable {
 public:
  struct Suppression {
    Timestamp last{};
    int64_t held = 0;
  };
  struct Slot {
    Suppression s;
    std::list<const std::string*>::iterator lru;
  };

  SuppressionTable() = default;
  SuppressionTable(SuppressionTable&&) noexcept = default;
  SuppressionTable& operator=(SuppressionTable&&) noexcept = default;
  SuppressionTable(const SuppressionTable&) = delete;  // the list points into the map
  SuppressionTable& operator=(const SuppressionTable&) = delete;

  bool empty() const { return map_.empty(); }
  size_t size() const { return map_.size(); }
  // The suppression of `key`, marked used; null when there is none.
  Suppression* use(const std::string& key) {
    const auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    touch(it->second);
    return &it->second.s;
  }
  // The suppression of `key`, marked used, created empty when new (`fresh`). A new key beyond
  // `bound` evicts the least recently used one first (`evicted`).
  Suppression& use_or_add(const std::string& key, size_t bound, bool& fresh, bool& evicted) {
    evicted = false;
    presize(map_, bound);
    auto [it, added] = map_.try_emplace(key);
    fresh = added;
    if (!added) {
      touch(it->second);
      return it->second.s;
    }
    lru_.push_back(&it->first);
    it->second.lru = std::prev(lru_.end());
    if (map_.size() > bound) {
      evict_oldest();
      evicted = true;
    }
    return it->second.s;
  }
  // Oldest use first (snapshots: restored in this order, the table is as it was).
  template <class F>
  void each(F&& f) const {
    for (const std::string* key : lru_) f(*key, map_.find(*key)->second.s);
  }

 private:
  void touch(Slot& slot) { lru_.splice(lru_.end(), lru_, slot.lru); }
  void evict_oldest() {
    const auto it = map_.find(*lru_.front());
    lru_.pop_front();
    map_.erase(it);
  }

  std::unordered_map<std::string, Slot> map_;
  std::list<const std::string*> lru_;
};

}  // namespace

struct Engine::Impl {
  std::shared_ptr<const RuleSet> set;
  std::vector<Engine::RuleStats> stats = std::vector<Engine::RuleStats>(set->rules.size());  // after `set`
  DetailedSink sink;
  EngineOptions options;
  EngineCounters& counters;
  std::vector<std::vector<int>> consumers;  // rule -> correlations that refer to it
  // The plain rules' evaluation plan (plan.h, ADR 0011): the rules an event can match, in rule
  // order, with their string tests matched by one automaton per dataset and field. It refers to
  // *set: a swap of the rule set must build a new plan for the new set.
  std::shared_ptr<Plan> plan;
  std::vector<int> candidates;  // scratch
  std::vector<std::unique_ptr<CorrState>> state;
  // The bytes of evidence events held by this engine's groups (shared with their deleters).
  std::shared_ptr<EvidenceBudget> budget = std::make_shared<EvidenceBudget>();
  // Newest event time per stream: each stream is in time order, but streams lag each other (a
  // spool flushed after an outage, files replayed one after the other), so lateness is measured
  // per stream. A stream is a sensor (observer.name), or for a log sensor one of its files
  // (observer.name + log.file.path): a sensor catching up on two files after a restart reads
  // one to its end before the other, and the second is not late. Idle groups are swept against
  // the slowest stream.
  std::unordered_map<std::string, Timestamp> sensor_watermarks;
  // The bound on all rule state (EngineOptions::max_state_*): groups and estimated bytes held,
  // and the clock that orders groups by last update across rules.
  size_t total_groups = 0;
  size_t total_bytes = 0;
  uint64_t touch_clock = 0;
  std::optional<Timestamp> slowest;  // min over sensor_watermarks
  std::string slowest_sensor;
  std::string stream_scratch;

  // Returns the sensor's watermark after `ts`.
  Timestamp advance(std::string_view sensor, Timestamp ts) {
    auto [it, fresh] = sensor_watermarks.try_emplace(std::string(sensor), ts);
    if (!fresh && ts > it->second) it->second = ts;
    if (fresh && (!slowest || ts < *slowest)) {
      slowest = ts;
      slowest_sensor = it->first;
    } else if (!fresh && it->first == slowest_sensor) {
      slowest = it->second;
      for (const auto& [name, wm] : sensor_watermarks) {
        if (wm < *slowest) {
          slowest = wm;
          slowest_sensor = name;
        }
      }
    }
    return it->second;
  }

  Impl(PreparedRules p, DetailedSink k, EngineOptions o, EngineCounters& c)
      : set(std::move(p.rules)), sink(std::move(k)), options(o), counters(c),
        plan(p.plan ? std::move(p.plan) : std::make_shared<Plan>(*set)) {
    const auto& rules = set->rules;
    consumers.resize(rules.size());
    state.resize(rules.size());
    for (size_t i = 0; i < rules.size(); ++i) {
      if (!rules[i].correlation) continue;
      state[i] = std::make_unique<CorrState>();
      for (int r : rules[i].correlation->rules) {
        auto& v = consumers[static_cast<size_t>(r)];
        if (std::find(v.begin(), v.end(), static_cast<int>(i)) == v.end()) v.push_back(static_cast<int>(i));
      }
    }
  }

  Event base_alert(const Rule& rule, Timestamp start, Timestamp end, int64_t count) {
    Event a;
    // An alert ends up with about two dozen fields: one allocation instead of six regrowths
    // (callgrind, brute-force flood: vector<Field> regrowth was 4% of the ingest thread).
    a.reserve(24);
    // The keys are distinct and the event new: appended without set()'s search for an existing
    // key (a fifth of building an alert, callgrind on the brute-force flood).
    a.append_unchecked("@timestamp") = end;
    a.append_unchecked("event.kind").set_string("alert");
    a.append_unchecked("event.dataset").set_string("soc.alert");
    a.append_unchecked("event.category").reset_list().emplace_back("intrusion_detection");
    if (!rule.id.empty() || !rule.name.empty())
      a.append_unchecked("rule.id").set_string(!rule.id.empty() ? rule.id : rule.name);
    a.append_unchecked("rule.name").set_string(rule.title);
    a.append_unchecked("rule.ruleset").set_string(rule.file);
    a.append_unchecked("event.severity") = static_cast<int64_t>(rule.level);
    a.append_unchecked("soc.severity").set_string(severity_word(static_cast<int64_t>(rule.level)));
    if (!rule.techniques.empty()) {
      List& l = a.append_unchecked("threat.technique.id").reset_list();
      l.reserve(rule.techniques.size());
      for (const auto& t : rule.techniques) l.emplace_back(t);
    }
    a.append_unchecked("soc.count") = count;
    a.append_unchecked("event.start") = start;
    a.append_unchecked("event.end") = end;
    return a;
  }

  std::vector<SuppressionTable> suppressions;  // per rule

  // The event as JSON, kept as an alert's evidence: null when evidence is not kept, when the
  // event is larger than allowed, or when the events held by all groups reach the budget.
  // One event is encoded at most once, however many rules keep it (both SSH brute-force rules
  // keep the same failed logins): the groups share the string, and it is counted once against the
  // budget. Only the event of the running process() is cached; it is forgotten when that ends.
  std::shared_ptr<const std::string> keep_json(const Event& event) {
    if (!options.keep_evidence) return nullptr;
    if (&event == kept_event && kept_json) return kept_json;
    std::string json = encode_event(event);
    const size_t n = json.size();
    if (n > options.max_evidence_event_bytes ||
        budget->used.load(std::memory_order_relaxed) + n > options.max_evidence_bytes) {
      ++counters.evidence_dropped;
      return nullptr;
    }
    kept_json = account_json(std::move(json));
    kept_event = &event;
    return kept_json;
  }
  const Event* kept_event = nullptr;  // the event process() is handling, while kept_json holds it
  std::shared_ptr<const std::string> kept_json;

  // An evidence event read back from a snapshot: kept under the same budget (null when it is
  // empty, when evidence is not kept, or when it does not fit).
  std::shared_ptr<const std::string> adopt_json(std::string json) {
    if (json.empty() || !options.keep_evidence) return nullptr;
    if (json.size() > options.max_evidence_event_bytes ||
        budget->used.load(std::memory_order_relaxed) + json.size() > options.max_evidence_bytes) {
      ++counters.evidence_dropped;
      return nullptr;
    }
    return account_json(std::move(json));
  }

  std::shared_ptr<const std::string> account_json(std::string json) {
    const size_t n = json.size();
    budget->used.fetch_add(n, std::memory_order_relaxed);
    return std::shared_ptr<const std::string>(new std::string(std::move(json)), [b = budget, n](const std::string* p) {
      b->used.fetch_sub(n, std::memory_order_relaxed);
      delete p;
    });
  }

  // Passes the alert to the sink unless the rule's suppression holds it back. `source`: a plain
  // rule's matching event, encoded as the alert's evidence only when the alert goes out.
  void output(Event& alert, size_t rule_index, AlertDetails& details, const Event* source) {
    const Rule& rule = set->rules[rule_index];
    if (rule.suppress.count() != 0) {
      const auto& by = rule.suppress_by.empty() && rule.correlation ? rule.correlation->group_by : rule.suppress_by;
      std::string key;
      for (const auto& f : by) {
        if (const Value* v = alert.find(f)) key += v->to_text();
        key += '\x1f';
      }
      if (suppressions.empty()) suppressions.resize(set->rules.size());
      bool fresh = false, evicted = false;
      auto& sup = suppressions[rule_index].use_or_add(key, options.max_groups_per_rule, fresh, evicted);
      if (evicted) {
        ++counters.evicted_groups;
        ++stats[rule_index].evicted;
      }
      const Timestamp ts = alert.timestamp().value_or(Timestamp{});
      if (!fresh && ts < sup.last + rule.suppress) {
        ++sup.held;
        ++counters.suppressed;
        ++stats[rule_index].suppressed;
        if (options.report_suppressed) {
          AlertDetails held;
          held.suppressed = true;
          sink(alert, held);
        }
        return;
      }
      if (sup.held > 0) alert.set("soc.suppressed", sup.held);
      sup = SuppressionTable::Suppression{ts, 0};
    }
    if (source && !details.evidence.empty() && !details.evidence.front().json)
      details.evidence.front().json = keep_json(*source);
    ++counters.alerts;
    sink(alert, details);
  }

  // A correlation's alert: out (unless excepted), and into the correlations that refer to it.
  void emit(Event& alert, size_t rule_index, AlertDetails& details) {
    if (!set->rules[rule_index].exceptions.alternatives.empty() && excepted(set->rules[rule_index], alert)) {
      ++counters.excepted;
      return;
    }
    if (set->rules[rule_index].standalone || options.emit_referenced) output(alert, rule_index, details, nullptr);
    const auto ts = alert.timestamp();
    for (int c : consumers[rule_index])
      feed(static_cast<size_t>(c), rule_index, alert, ts, alert.get_int("soc.count").value_or(1), &details);
  }

  void process(const Event& event) {
    kept_event = nullptr;  // the caller reuses its Event: a pointer names one event for one call only
    kept_json.reset();
    // With rules, an event is looked up 20-30 times: the index pays for itself. Without (the
    // bench's floor), the three lookups of the stream's watermark are cheaper as scans.
    if (!set->rules.empty()) plan->fields().build(event);
    id_state = IdState::Unknown;
    process_event(event);
    plan->fields().reset();
    kept_event = nullptr;
    kept_json.reset();
  }

  // The id of the event process() is handling, computed once however many correlations count it
  // (each scan over flows feeds two); empty when it has none. Other events: evidence_id().
  enum class IdState : uint8_t { Unknown, Known } id_state = IdState::Unknown;
  std::string current_id, other_id;
  const std::string& id_of_current(const Event& event) {
    if (!plan->fields().indexes(event)) return other_id = evidence_id(event);
    if (id_state == IdState::Unknown) {
      current_id = evidence_id(event, plan->fields());
      id_state = IdState::Known;
    }
    return current_id;
  }
  // The event's own fields through the index when `event` is the one being processed.
  const Value* field(const Event& event, std::string_view key) const { return plan->fields().find(event, key); }

  void process_event(const Event& event) {
    ++counters.events;
    const Value* tv = field(event, "@timestamp");
    const auto ts = tv && tv->is_timestamp() ? std::optional<Timestamp>(tv->as_timestamp()) : std::nullopt;
    std::optional<Timestamp> watermark;
    if (ts) {
      stream_scratch.assign(plan->fields().get_string(event, "observer.name"));
      if (const std::string_view file = plan->fields().get_string(event, "log.file.path"); !file.empty()) {
        stream_scratch += '\x1f';
        stream_scratch += file;
      }
      watermark = advance(stream_scratch, *ts);
    }
    const auto& rules = set->rules;
    plan->candidates(event, candidates);
    for (const int ci : candidates) {
      const auto i = static_cast<size_t>(ci);
      const Rule& r = rules[i];
      if (!plan->matches(ci, event)) continue;
      if (!r.exceptions.alternatives.empty() && excepted(r, event)) {
        ++counters.excepted;
        continue;
      }
      ++counters.matches;
      ++stats[i].matches;
      if (r.standalone || options.emit_referenced) alert_match(i, event, ts);
      for (int c : consumers[i]) {
        if (ts && *ts < *watermark - options.allowed_lateness) {
          ++counters.late_events;
          continue;
        }
        feed(static_cast<size_t>(c), i, event, ts, 1, nullptr);
      }
    }
  }

  // A plain rule's alert for its matching event: the event's key and where fields, the event
  // as its evidence (by id, else a sample).
  void alert_match(size_t i, const Event& event, std::optional<Timestamp> ts) {
    const Timestamp t = ts.value_or(Timestamp{});
    Event a = base_alert(set->rules[i], t, t, 1);
    if (!ts) {
      a.erase("@timestamp");
      a.erase("event.start");
      a.erase("event.end");
    }
    for (auto f : kAlertKeyFields)
      if (const Value* v = event.find(f)) a.set(f, *v);
    for (auto f : kWhereFields)
      if (const Value* v = event.find(f)) a.set(f, *v);
    std::string id = evidence_id(event);
    const bool has_id = !id.empty();
    if (!has_id) id = evidence_of(event);
    a.set("soc.evidence", List{Value(id)});
    AlertDetails details;
    details.evidence.push_back({std::move(id), nullptr});
    output(a, i, details, has_id ? &event : nullptr);
  }

  // The field a group-by name stands for in events of `src` (aliases differ per rule).
  static std::string_view group_field(const Correlation& c, const std::string& g, size_t src) {
    for (const auto& al : c.aliases) {
      if (al.name != g) continue;
      for (const auto& [r, f] : al.fields)
        if (static_cast<size_t>(r) == src) return f;
    }
    return g;
  }

  std::string key_scratch;
  std::vector<const Value*> values_scratch;
  uint64_t keys_made = 0;  // group_key() calls: a nested feed() between two of one event's steps shows

  // Counts `event` (a match of rule `src`, or an alert of it with its `inner` details) in the
  // correlation `ci`'s group.
  void feed(size_t ci, size_t src, const Event& event, std::optional<Timestamp> ts, int64_t weight,
            const AlertDetails* inner) {
    const Correlation& c = *set->rules[ci].correlation;
    if (!ts) {
      ++counters.untimed_events;
      return;
    }
    if (!group_key(c, src, event)) {
      ++counters.ungrouped_events;
      return;
    }
    Entry e;
    if (!fill_entry(c, src, event, *ts, weight, e)) return;  // nothing to count or add
    auto& st = *state[ci];
    // A window sweep() closes can fire and feed a chained correlation, whose feed() fills the
    // scratch key and values with its own group: then this event's are made again.
    const uint64_t keyed = keys_made;
    sweep(ci, st);
    if (keys_made != keyed) (void)group_key(c, src, event);
    presize(st.groups, options.max_groups_per_rule);
    auto [it, fresh] = st.groups.try_emplace(key_scratch);
    Group& g = it->second;
    if (c.deduplicate && duplicate(*c.deduplicate, g, fresh, event, e)) {
      ++counters.duplicates;
      return;
    }
    cite(c, g, src, event, inner, e);
    if (fresh) enter(ci, st, *it);
    else promote(st, g);
    g.touched = ++touch_clock;
    g.note_site(plan->fields().get_string(event, "site.id"));
    count(ci, c, g, event, inner, std::move(e));
  }

  // The key of `event`'s group in correlation `c` (each group-by value's text and \x1f) into
  // key_scratch, the values into values_scratch (copied into a new group only); false when the
  // event lacks one of them.
  bool group_key(const Correlation& c, size_t src, const Event& event) {
    ++keys_made;
    std::string& key = key_scratch;
    key.clear();
    values_scratch.clear();
    for (const auto& g : c.group_by) {
      const Value* v = field(event, group_field(c, g, src));
      if (v == nullptr) return false;
      v->append_text(key);
      key += '\x1f';
      values_scratch.push_back(v);
    }
    return true;
  }

  // The entry `event` makes at `ts`: its times, rule, weight, and the value it counts or the
  // number it adds; false when it has no such value (it is then not counted).
  bool fill_entry(const Correlation& c, size_t src, const Event& event, Timestamp ts, int64_t weight, Entry& e) {
    e.ts = ts;
    e.start = ts;
    if (set->rules[src].correlation) e.start = std::min(ts, event.get_timestamp("event.start").value_or(ts));
    e.rule = static_cast<int>(src);
    e.count = weight;
    if (c.field.empty()) return true;
    const Value* v = field(event, c.field);
    if (v == nullptr) return false;
    if (c.type == CorrelationType::ValueCount) {
      v->append_text(e.value);
      return true;
    }
    auto n = number_of(*v);
    if (!n) return false;
    e.number = *n;
    return true;
  }

  // Correlation::deduplicate: fills the entry's `by` values and dataset; true when an entry of
  // the (not new) group already counts the same attempt from another log.
  bool duplicate(const Correlation::Deduplicate& d, Group& g, bool fresh, const Event& event, Entry& e) {
    e.dedupe.clear();
    for (const auto& f : d.by) {
      if (const Value* v = field(event, f)) v->append_text(e.dedupe);
      e.dedupe += '\x1f';
    }
    e.dataset.assign(plan->fields().get_string(event, "event.dataset"));
    return !fresh && pair_duplicate(d, g, e);
  }

  // What the entry cites: a chained alert's evidence, else the event's id (and the event itself
  // when kept), else a sample of it.
  void cite(const Correlation& c, const Group& g, size_t src, const Event& event, const AlertDetails* inner,
            Entry& e) {
    if (set->rules[src].correlation) {
      if (inner && !inner->evidence.empty()) e.chained = inner->evidence;
      else if (const Value* ev = event.find("soc.evidence"); ev != nullptr && ev->is_list())
        for (const auto& x : ev->as_list()) e.chained.push_back({x.to_text(), nullptr});
    } else if (const std::string& id = id_of_current(event); !id.empty()) {
      e.evidence = id;
      // The first events of a window are cited by the alert; the last is encoded when it fires.
      // Only in a warm group: most groups (one per flow pair for a scan rule) never come near
      // their threshold, and encoding their events would cost the engine a third of its time.
      if (options.keep_evidence && g.entries.size() < kMaxEvidence && warm(c, g)) e.json = keep_json(event);
    } else if (g.entries.size() < kMaxEvidence) {
      e.evidence = evidence_of(event);  // samples only for the first events: bounded cost
    }
  }

  // A new group of correlation `ci`: its values (values_scratch), at the end of the list of
  // groups updated once, counted for the bounds; beyond the rule's bound the oldest other goes.
  void enter(size_t ci, CorrState& st, std::pair<const std::string, Group>& slot) {
    Group& g = slot.second;
    for (const Value* v : values_scratch) g.values.push_back(*v);
    g.per_rule.assign(set->rules[ci].correlation->rules.size(), 0);
    st.lru.emplace_back(&slot.first, &g);
    g.lru = std::prev(st.lru.end());
    admit(g, slot.first);
    if (st.groups.size() > options.max_groups_per_rule) evict_front(ci, st, &g);
  }

  // A group updated again: to the end of the hot list.
  static void promote(CorrState& st, Group& g) {
    st.hot.splice(st.hot.end(), st.list_of(g), g.lru);
    g.hot = true;
  }

  // Adds the entry to the group's window and decides: a window anchored at its first event
  // closes (and may fire) before the entry; a sliding window drops what fell out of it and
  // fires on the event that completes it.
  void count(size_t ci, const Correlation& c, Group& g, const Event& event, const AlertDetails* inner, Entry&& e) {
    const Timestamp ts = e.ts;
    if (c.decided_at_close() && !g.entries.empty() && ts > g.entries.front().ts + c.timespan) {
      close_window(ci, g, g.entries.front().ts + c.timespan);
    }
    // A window decided when it closes has no event in hand then: it keeps its newest event's key
    // fields. A sliding window fires on the event that completes it and takes them from it.
    if (c.decided_at_close() && ts >= g.newest) note_fields(g, event);
    insert(c, g, std::move(e));
    if (c.decided_at_close()) return;
    // Sliding window ending at the newest event: [newest - timespan, newest], both ends included.
    while (!g.entries.empty() && g.entries.front().ts < g.newest - c.timespan) drop_front(c, g);
    if (holds(c, g)) fire(ci, g, &event, inner);
  }

  static void note_fields(Group& g, const Event& event) {
    g.last_fields.clear();
    for (auto f : kAlertKeyFields)
      if (const Value* v = event.find(f)) g.last_fields.append_unchecked(f) = *v;
  }

  // True when `e` is an attempt an entry of the group already counts, seen in another log (the
  // entry is then paired and `e` not counted). Entries are in time order: only the newest
  // are looked at, at most kDedupeLookBack of them, so that a flood costs a bounded time.
  static bool pair_duplicate(const Correlation::Deduplicate& d, Group& g, const Entry& e) {
    constexpr size_t kDedupeLookBack = 64;
    size_t looked = 0;
    for (auto it = g.entries.end(); it != g.entries.begin() && looked < kDedupeLookBack; ++looked) {
      --it;
      if (it->ts > e.ts + d.within) continue;
      if (it->ts < e.ts - d.within) break;
      if (!it->paired && it->dataset != e.dataset && it->dedupe == e.dedupe) {
        it->paired = true;
        return true;
      }
    }
    return false;
  }

  // A group whose next event brings it to at least half its lower threshold (gte/gt), or any
  // group of a condition without one (temporal, absence, lt): its events may well be cited.
  bool warm(const Correlation& c, const Group& g) const {
    if (c.expression || c.decided_at_close()) return true;
    const std::optional<double> bound = c.condition.gte ? c.condition.gte : c.condition.gt;
    if (!bound || c.type == CorrelationType::ValueAvg || c.type == CorrelationType::Temporal ||
        c.type == CorrelationType::TemporalOrdered)
      return true;
    const double next = c.type == CorrelationType::ValueSum ? metric(c, g) : metric(c, g) + 1;
    return next * 2 >= *bound;
  }

  // Position of a referenced rule in the correlation's list (its first occurrence).
  static size_t slot(const Correlation& c, int rule) {
    return static_cast<size_t>(std::find(c.rules.begin(), c.rules.end(), rule) - c.rules.begin());
  }

  // A new group enters the state: it counts for the bound.
  void admit(Group& g, const std::string& key) {
    g.in_state = true;
    g.bytes = group_base_bytes(key, g.values);
    ++total_groups;
    total_bytes += g.bytes;
  }

  void resize(Group& g, ptrdiff_t delta) {
    g.bytes = static_cast<size_t>(static_cast<ptrdiff_t>(g.bytes) + delta);
    if (g.in_state) total_bytes = static_cast<size_t>(static_cast<ptrdiff_t>(total_bytes) + delta);
  }

  // Removes the front group of `list` (one of st's).
  void erase_front(CorrState& st, GroupList& list) {
    Group& g = *list.front().second;
    if (g.in_state) {
      --total_groups;
      total_bytes -= g.bytes;
    }
    const auto it = st.groups.find(*list.front().first);
    list.pop_front();
    st.groups.erase(it);
  }

  // Evicts a group of `st` for a bound: the least recently updated of those updated once, else
  // of the others; never `keep` (the group in use).
  void evict_front(size_t ci, CorrState& st, const Group* keep = nullptr) {
    GroupList* l = !st.lru.empty() && st.lru.front().second != keep ? &st.lru : &st.hot;
    if (l->empty() || l->front().second == keep) return;
    erase_front(st, *l);
    ++counters.evicted_groups;
    ++stats[ci].evicted;
  }

  // Evicts the least recently updated groups of any correlation until the state is within its
  // bounds. Called between events, when no group is in use.
  void enforce_bounds() {
    const size_t max_groups = options.max_state_groups, max_bytes = options.max_state_bytes;
    while ((max_groups && total_groups > max_groups) || (max_bytes && total_bytes > max_bytes)) {
      size_t oldest = state.size();
      for (const bool hot : {false, true}) {  // groups of one event first, of any rule
        uint64_t when = UINT64_MAX;
        for (size_t ci = 0; ci < state.size(); ++ci) {
          if (!state[ci]) continue;
          const GroupList& l = hot ? state[ci]->hot : state[ci]->lru;
          if (!l.empty() && l.front().second->touched < when) {
            when = l.front().second->touched;
            oldest = ci;
          }
        }
        if (oldest != state.size()) break;
      }
      if (oldest == state.size()) break;
      evict_front(oldest, *state[oldest]);
    }
  }

  void insert(const Correlation& c, Group& g, Entry&& e) {
    if (e.ts > g.newest) g.newest = e.ts;
    auto pos = std::upper_bound(g.entries.begin(), g.entries.end(), e.ts,
                                [](Timestamp t, const Entry& x) { return t < x.ts; });
    if (c.type == CorrelationType::ValueCount && g.distinct.add(e.value))
      resize(g, static_cast<ptrdiff_t>(kNodeBytes + e.value.size()));
    resize(g, static_cast<ptrdiff_t>(entry_bytes(e)));
    g.sum += e.number;
    g.events += e.count;
    ++g.per_rule[slot(c, e.rule)];
    g.entries.insert(pos, std::move(e));
    if (g.entries.size() > kMaxEntriesPerGroup) drop_front(c, g);
  }

  void drop_front(const Correlation& c, Group& g) {
    Entry& e = g.entries.front();
    if (c.type == CorrelationType::ValueCount) {
      if (g.distinct.remove(e.value)) resize(g, -static_cast<ptrdiff_t>(kNodeBytes + e.value.size()));
    }
    resize(g, -static_cast<ptrdiff_t>(entry_bytes(e)));
    g.sum -= e.number;
    g.events -= e.count;
    --g.per_rule[slot(c, e.rule)];
    g.entries.pop_front();
  }

  bool holds(const Correlation& c, const Group& g) const {
    if (c.expression) {
      // per_rule is indexed by the first slot of each rule; map every listed position to it.
      std::vector<int> seen(c.rules.size(), 0);
      for (size_t i = 0; i < c.rules.size(); ++i) seen[i] = g.per_rule[slot(c, c.rules[i])];
      return eval_seen(*c.expression, seen);
    }
    return c.condition.holds(metric(c, g));
  }

  double metric(const Correlation& c, const Group& g) const {
    switch (c.type) {
      // Matches of the referenced rules (for a chained correlation: its alerts, not the events
      // behind them; those are summed into soc.count).
      case CorrelationType::EventCount: return static_cast<double>(g.entries.size());
      case CorrelationType::ValueCount: return static_cast<double>(g.distinct.size());
      case CorrelationType::ValueSum: return g.sum;
      case CorrelationType::ValueAvg: return g.entries.empty() ? 0 : g.sum / static_cast<double>(g.entries.size());
      case CorrelationType::Temporal: {
        int n = 0;
        for (size_t i = 0; i < c.rules.size(); ++i)
          if (g.per_rule[i] > 0 && slot(c, c.rules[i]) == i) ++n;  // a rule listed twice counts once
        return n;
      }
      case CorrelationType::TemporalOrdered: {
        // The rules in the listed order, as a subsequence of the window (greedy is exact).
        size_t pos = 0;
        for (const auto& e : g.entries)
          if (pos < c.rules.size() && e.rule == c.rules[pos]) ++pos;
        return pos == c.rules.size() ? static_cast<double>(c.rules.size()) : 0;
      }
    }
    return 0;
  }

  // The condition of correlation `ci` holds for group `g`: the alert, then the group starts
  // over. `trigger`: the event that completed the condition (null when a window closed), with
  // its details when it is a chained alert.
  void fire(size_t ci, Group& g, const Event* trigger, const AlertDetails* trigger_details) {
    const Rule& rule = set->rules[ci];
    const Correlation& c = *rule.correlation;
    ++stats[ci].matches;
    if (held_before_built(ci, g)) {
      clear_entries(c, g);
      return;
    }
    Timestamp start = g.entries.front().ts;
    for (const auto& e : g.entries) start = std::min(start, e.start);
    Event a = base_alert(rule, start, g.entries.back().ts, g.events);
    std::string group;
    for (size_t i = 0; i < c.group_by.size(); ++i) {
      a.set(c.group_by[i], g.values[i]);
      if (!group.empty()) group += ',';
      group += c.group_by[i] + '=' + g.values[i].to_text();
    }
    // Who and what, from the newest event (the group-by fields win): the account of "login
    // success after a brute force", the URL of the last exploit attempt.
    // (Not the client's source port: one connection's, it says nothing about a window.)
    const Event& newest = trigger ? *trigger : g.last_fields;
    for (auto f : kAlertKeyFields)
      if (f != "source.port" && !a.contains(f))
        if (const Value* v = newest.find(f)) a.append_unchecked(f) = *v;
    if (!g.mixed_sites && !g.site.empty() && !a.contains("site.id")) a.append_unchecked("site.id").set_string(g.site);
    if (!group.empty()) a.set("soc.group", std::move(group));
    AlertDetails details = select_evidence(g, trigger, trigger_details);
    if (!details.evidence.empty()) {
      List evidence;
      evidence.reserve(details.evidence.size());
      for (const auto& x : details.evidence) evidence.emplace_back(x.id);
      a.set("soc.evidence", std::move(evidence));
    }
    // After a fire the group starts over: the next alert needs new evidence (see the ADR).
    clear_entries(c, g);
    emit(a, ci, details);
  }

  // Empties a group's window, as drop_front() on every entry would.
  void clear_entries(const Correlation& c, Group& g) {
    if (c.type == CorrelationType::ValueCount) {  // the distinct values go one by one
      while (!g.entries.empty()) drop_front(c, g);
      return;
    }
    ptrdiff_t bytes = 0;
    for (const auto& e : g.entries) {
      bytes += static_cast<ptrdiff_t>(entry_bytes(e));
      g.sum -= e.number;
      g.events -= e.count;
      --g.per_rule[slot(c, e.rule)];
    }
    resize(g, -bytes);
    g.entries.clear();
  }

  // True when rule `ci`'s suppression holds back the alert group `g` would raise now and nobody
  // wants it built: the rule alerts (no correlation counts its alerts, no exception reads them),
  // its suppression key is made of its group-by fields only, and held-back repeats are not
  // reported. Then the repeat is counted as output() would count it, and no alert is built
  // (a brute force's second window, under a flood: a fifth of the alerts the pack builds).
  bool held_before_built(size_t ci, const Group& g) {
    const Rule& rule = set->rules[ci];
    const Correlation& c = *rule.correlation;
    if (rule.suppress.count() == 0 || options.report_suppressed || options.emit_referenced || !rule.standalone ||
        !consumers[ci].empty() || !rule.exceptions.alternatives.empty() || suppressions.empty())
      return false;
    auto& table = suppressions[ci];
    if (table.empty()) return false;
    // output() reads each field of `by` from the alert, where a group-by field holds the
    // group's value (soc.group and soc.evidence are set after them: never from the group).
    const auto& by = rule.suppress_by.empty() ? c.group_by : rule.suppress_by;
    std::string& key = suppress_scratch;
    key.clear();
    for (const auto& f : by) {
      if (f == "soc.group" || f == "soc.evidence") return false;
      const auto pos = std::find(c.group_by.begin(), c.group_by.end(), f);
      if (pos == c.group_by.end()) return false;
      key += g.values[static_cast<size_t>(pos - c.group_by.begin())].to_text();
      key += '\x1f';
    }
    SuppressionTable::Suppression* sup = table.use(key);
    if (sup == nullptr || !(g.entries.back().ts < sup->last + rule.suppress)) return false;
    ++sup->held;
    ++counters.suppressed;
    ++stats[ci].suppressed;
    return true;
  }
  std::string suppress_scratch;

  // soc.evidence of a window (ADR 0008): its first kMaxEvidence entries in event time, or when
  // it holds more, the first kMaxEvidence - 1 and the newest (the event that completed it).
  AlertDetails select_evidence(const Group& g, const Event* trigger, const AlertDetails* trigger_details) {
    AlertDetails details;
    auto& ev = details.evidence;
    ev.reserve(std::min(kMaxEvidence, g.entries.size()));
    size_t total = 0;
    const EvidenceEvent* last = nullptr;
    EvidenceEvent own;
    for (const auto& e : g.entries) {
      if (!e.evidence.empty()) {
        ++total;
        if (ev.size() < kMaxEvidence) ev.push_back({e.evidence, e.json});
      }
      for (const auto& x : e.chained) {
        ++total;
        if (ev.size() < kMaxEvidence) ev.push_back(x);
      }
    }
    if (total <= kMaxEvidence) {
      encode_trigger(details, trigger, trigger_details);
      return details;
    }
    for (auto it = g.entries.end(); it != g.entries.begin() && last == nullptr;) {
      --it;
      if (!it->chained.empty()) {
        last = &it->chained.back();
      } else if (!it->evidence.empty()) {
        own = {it->evidence, it->json};
        last = &own;
      }
    }
    ev.resize(kMaxEvidence - 1);
    ev.push_back(*last);
    encode_trigger(details, trigger, trigger_details);
    return details;
  }

  // The event that completed the condition is cited last; it is encoded now if its entry was not.
  void encode_trigger(AlertDetails& details, const Event* trigger, const AlertDetails* trigger_details) {
    auto& ev = details.evidence;
    if (!ev.empty() && !ev.back().json && trigger && !trigger_details && evidence_id(*trigger) == ev.back().id)
      ev.back().json = keep_json(*trigger);
  }

  // Evaluates an anchored window [first, end] of an at_close condition and removes it.
  void close_window(size_t ci, Group& g, Timestamp end) {
    const Correlation& c = *set->rules[ci].correlation;
    Group closed;
    closed.values = g.values;
    closed.site = g.site;
    closed.mixed_sites = g.mixed_sites;
    closed.last_fields = g.last_fields;
    closed.per_rule.assign(c.rules.size(), 0);
    while (!g.entries.empty() && g.entries.front().ts <= end) {
      insert(c, closed, Entry(g.entries.front()));
      drop_front(c, g);
    }
    if (!closed.entries.empty() && holds(c, closed)) fire(ci, closed, nullptr, nullptr);
  }

  // Drops the groups of correlation `ci` whose window can no longer change at `watermark` (idle
  // for timespan + allowed lateness), least recently updated first, up to the first that can.
  void expire(size_t ci, CorrState& st, Timestamp watermark) {
    const Correlation& c = *set->rules[ci].correlation;
    while (GroupList* l = st.oldest()) {
      Group& g = *l->front().second;
      if (g.newest >= watermark - c.timespan - options.allowed_lateness) break;
      if (c.decided_at_close()) {
        while (!g.entries.empty()) close_window(ci, g, g.entries.front().ts + c.timespan);
      }
      erase_front(st, *l);
    }
  }

  // Against the slowest sensor's newest event.
  void sweep(size_t ci, CorrState& st) {
    if (slowest) expire(ci, st, *slowest);
  }

  // Engine::advance: sweep() of every correlation against `watermark` instead of the slowest
  // sensor's newest event.
  void advance(Timestamp watermark) {
    for (size_t ci = 0; ci < state.size(); ++ci)
      if (state[ci]) expire(ci, *state[ci], watermark);
  }

  void flush() {
    // Closing a window can fire and feed a chained correlation, which may then hold new groups:
    // repeat until every correlation is empty (references are acyclic, so this ends).
    for (bool any = true; any;) {
      any = false;
      for (size_t ci = 0; ci < state.size(); ++ci) {
        if (!state[ci] || state[ci]->groups.empty()) continue;
        any = true;
        const Correlation& c = *set->rules[ci].correlation;
        auto& st = *state[ci];
        std::unordered_map<std::string, Group> groups = std::move(st.groups);
        std::vector<Group*> lru;  // in order of last update, as one list
        for (const GroupList* l : {&st.lru, &st.hot})
          for (const auto& [key, g] : *l) lru.push_back(g);
        std::sort(lru.begin(), lru.end(), [](const Group* a, const Group* b) { return a->touched < b->touched; });
        st.groups.clear();
        st.lru.clear();
        st.hot.clear();
        for (auto& [key, g] : groups) {
          // Out of the state: what closing its windows frees no longer counts.
          if (!g.in_state) continue;
          g.in_state = false;
          --total_groups;
          total_bytes -= g.bytes;
        }
        for (Group* group : lru) {
          Group& g = *group;
          if (c.decided_at_close()) {
            while (!g.entries.empty()) close_window(ci, g, g.entries.front().ts + c.timespan);
          }
        }
      }
    }
  }
};

Engine::Engine(std::shared_ptr<const RuleSet> rules, AlertSink sink, EngineOptions options)
    : Engine(std::move(rules),
             DetailedSink([sink = std::move(sink)](const Event& alert, const AlertDetails& details) {
               if (!details.suppressed) sink(alert);
             }),
             options) {}
Engine::Engine(std::shared_ptr<const RuleSet> rules, DetailedSink sink, EngineOptions options)
    : impl_(std::make_unique<Impl>(PreparedRules{std::move(rules), nullptr}, std::move(sink), options, counters_)) {}
Engine::~Engine() = default;
void Engine::process(const Event& event) {
  impl_->process(event);
  impl_->enforce_bounds();
}
void Engine::flush() { impl_->flush(); }
void Engine::advance(Timestamp watermark) { impl_->advance(watermark); }
const RuleSet& Engine::rules() const { return *impl_->set; }
const std::vector<Engine::RuleStats>& Engine::rule_stats() const { return impl_->stats; }

namespace {
// What identifies a rule across reloads.
std::string rule_key(const Rule& r) {
  if (!r.id.empty()) return "id:" + r.id;
  if (!r.name.empty()) return "name:" + r.name;
  return "file:" + r.file + '\x1f' + r.title;
}
// The digest of a rule and, for a correlation, of everything it refers to (acyclic: the loader
// refuses cycles).
uint64_t deep_digest(const RuleSet& set, size_t i, std::vector<std::optional<uint64_t>>& memo) {
  if (memo[i]) return *memo[i];
  const Rule& r = set.rules[i];
  uint64_t h = r.digest;
  if (r.correlation) {
    for (int ref : r.correlation->rules) h = h * 1099511628211ULL ^ deep_digest(set, static_cast<size_t>(ref), memo);
  }
  memo[i] = h;
  return h;
}
}  // namespace

PreparedRules Engine::prepare(std::shared_ptr<const RuleSet> rules) {
  PreparedRules p{std::move(rules), nullptr};
  p.plan = std::make_shared<Plan>(*p.rules);
  return p;
}

void Engine::replace_rules(std::shared_ptr<const RuleSet> rules) { replace_rules(prepare(std::move(rules))); }

void Engine::replace_rules(PreparedRules prepared) {
  Impl& old = *impl_;
  auto next = std::make_unique<Impl>(std::move(prepared), std::move(old.sink), old.options, counters_);
  next->budget = old.budget;
  next->sensor_watermarks = std::move(old.sensor_watermarks);
  next->slowest = old.slowest;
  next->slowest_sensor = std::move(old.slowest_sensor);
  next->touch_clock = old.touch_clock;
  const RuleSet& os = *old.set;
  const RuleSet& ns = *next->set;
  std::vector<std::optional<uint64_t>> old_memo(os.rules.size()), new_memo(ns.rules.size());
  std::unordered_map<std::string, size_t> old_by_key;
  for (size_t j = 0; j < os.rules.size(); ++j) old_by_key.emplace(rule_key(os.rules[j]), j);
  for (size_t i = 0; i < ns.rules.size(); ++i) {
    auto found = old_by_key.find(rule_key(ns.rules[i]));
    if (found == old_by_key.end()) continue;
    const size_t j = found->second;
    if (deep_digest(os, j, old_memo) != deep_digest(ns, i, new_memo)) continue;
    if (!old.suppressions.empty() && !old.suppressions[j].empty()) {
      if (next->suppressions.empty()) next->suppressions.resize(ns.rules.size());
      next->suppressions[i] = std::move(old.suppressions[j]);
    }
    if (!old.state[j] || !next->state[i]) continue;
    // Entries name the referenced rule by its index, which may have moved: map it through its
    // position in the (identical) list of references.
    const auto& from = os.rules[j].correlation->rules;
    const auto& to = ns.rules[i].correlation->rules;
    for (auto& [key, group] : old.state[j]->groups) {
      for (auto& e : group.entries) {
        const auto pos = static_cast<size_t>(std::find(from.begin(), from.end(), e.rule) - from.begin());
        e.rule = pos < to.size() ? to[pos] : -1;
      }
    }
    for (const auto& [key, group] : old.state[j]->groups) {
      ++next->total_groups;
      next->total_bytes += group.bytes;
    }
    next->state[i] = std::move(old.state[j]);
  }
  impl_ = std::move(next);
}
size_t Engine::groups(size_t rule_index) const {
  const auto& st = impl_->state[rule_index];
  return st ? st->groups.size() : 0;
}
size_t Engine::state_groups() const { return impl_->total_groups; }
size_t Engine::state_bytes() const { return impl_->total_bytes; }

void Engine::encode_state(std::string& out) const {
  namespace fmt_ = state_format;
  const Impl& im = *impl_;
  const RuleSet& set = *im.set;
  out.reserve(out.size() + im.total_bytes / 4);  // the bytes run at about a fifth of the estimate
  ByteWriter w(out);
  w.u32(static_cast<uint32_t>(im.sensor_watermarks.size()));
  for (const auto& [stream, wm] : im.sensor_watermarks) {
    w.str(stream);
    w.time(wm);
  }
  std::vector<size_t> with_state;
  for (size_t i = 0; i < set.rules.size(); ++i) {
    const bool groups = im.state[i] && !im.state[i]->groups.empty();
    const bool held = !im.suppressions.empty() && !im.suppressions[i].empty();
    if (groups || held) with_state.push_back(i);
  }
  std::vector<std::optional<uint64_t>> memo(set.rules.size());
  std::vector<const GroupList::value_type*> order;
  w.u32(static_cast<uint32_t>(with_state.size()));
  for (const size_t i : with_state) {
    w.str(rule_key(set.rules[i]));
    w.u64(deep_digest(set, i, memo));
    order.clear();
    if (im.state[i]) {
      // Oldest update first, across both lists: restored in this order, the LRU is as it was.
      for (const GroupList* l : {&im.state[i]->lru, &im.state[i]->hot})
        for (const auto& item : *l) order.push_back(&item);
      std::sort(order.begin(), order.end(),
                [](const auto* a, const auto* b) { return a->second->touched < b->second->touched; });
    }
    w.u32(static_cast<uint32_t>(order.size()));
    for (const auto* item : order) {
      const Group& g = *item->second;
      const Correlation& c = *set.rules[i].correlation;
      fmt_::group_header(w, *item->first, g.hot, g.values, g.site, g.mixed_sites, g.last_fields, g.entries.size());
      for (const auto& e : g.entries)
        fmt_::entry(w, e.ts, e.start, static_cast<uint32_t>(Impl::slot(c, e.rule)), e.value, e.number, e.count,
                    e.evidence, e.json.get(), e.chained);
    }
    const bool held = !im.suppressions.empty() && !im.suppressions[i].empty();
    w.u32(held ? static_cast<uint32_t>(im.suppressions[i].size()) : 0);
    if (held)
      im.suppressions[i].each([&w](const std::string& key, const SuppressionTable::Suppression& sup) {
        fmt_::suppression(w, key, sup.last, sup.held);
      });
  }
}

Engine::RestoreReport Engine::import_state(EngineState state) {
  Impl& im = *impl_;
  const RuleSet& set = *im.set;
  RestoreReport report;
  std::unordered_map<std::string, size_t> by_key;
  for (size_t i = 0; i < set.rules.size(); ++i) by_key.emplace(rule_key(set.rules[i]), i);
  std::vector<std::optional<uint64_t>> memo(set.rules.size());
  for (auto& r : state.rules) {
    auto found = by_key.find(r.key);
    if (found == by_key.end()) {
      ++report.unknown;
      continue;
    }
    const size_t i = found->second;
    if (deep_digest(set, i, memo) != r.fingerprint) {
      ++report.changed;
      continue;
    }
    ++report.rules;
    const Rule& rule = set.rules[i];
    if (rule.correlation && im.state[i]) {
      const Correlation& c = *rule.correlation;
      CorrState& st = *im.state[i];
      for (auto& gs : r.groups) {
        if (gs.values.size() != c.group_by.size() || gs.entries.empty() || st.groups.count(gs.key)) continue;
        const auto slot_it = st.groups.try_emplace(gs.key).first;
        Group& g = slot_it->second;
        g.values = std::move(gs.values);
        g.per_rule.assign(c.rules.size(), 0);
        g.site = std::move(gs.site);
        g.mixed_sites = gs.mixed_sites;
        for (auto& [field, value] : gs.last_fields) g.last_fields.set(field, std::move(value));
        g.hot = gs.hot;
        GroupList& list = st.list_of(g);
        list.emplace_back(&slot_it->first, &g);
        g.lru = std::prev(list.end());
        im.admit(g, gs.key);
        g.touched = ++im.touch_clock;
        for (auto& es : gs.entries) {
          if (es.ref >= c.rules.size()) continue;
          Entry e;
          e.ts = es.ts;
          e.start = es.start;
          e.rule = c.rules[es.ref];
          e.value = std::move(es.value);
          e.number = es.number;
          e.count = es.count;
          e.evidence = std::move(es.evidence);
          e.json = im.adopt_json(std::move(es.evidence_json));
          for (auto& ch : es.chained) e.chained.push_back({std::move(ch.id), im.adopt_json(std::move(ch.json))});
          im.insert(c, g, std::move(e));
        }
        ++report.groups;
        if (st.groups.size() > im.options.max_groups_per_rule) im.evict_front(i, st);
      }
    }
    if (rule.suppress.count() != 0 && !r.suppressions.empty()) {
      if (im.suppressions.empty()) im.suppressions.resize(set.rules.size());
      auto& table = im.suppressions[i];
      // Oldest use first: beyond the bound, the oldest are evicted as the newest come in.
      const size_t before = table.size();
      for (auto& sup : r.suppressions) {
        bool fresh = false, evicted = false;
        table.use_or_add(sup.key, im.options.max_groups_per_rule, fresh, evicted) = {sup.last, sup.held};
        if (evicted) {
          ++im.counters.evicted_groups;
          ++im.stats[i].evicted;
        }
      }
      report.suppressions += table.size() - before;
    }
  }
  for (const auto& [stream, wm] : state.watermarks) im.advance(stream, wm);
  im.enforce_bounds();
  return report;
}

}  // namespace soc::daemon::rules
