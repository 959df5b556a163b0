// What one worker counted and measured, and how the parent adds workers up: counters are summed,
// time stamps keep their earliest or latest, latencies are merged sample by sample (exact
// percentiles). A worker hands its tally to the parent through a file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace aicc::loadgen {

struct Tally {
  std::map<std::string, double> sums;
  std::map<std::string, double> mins;   // e.g. the first launch, in steady-clock ns
  std::map<std::string, double> maxes;  // e.g. the last CONNECTED
  std::vector<std::int64_t> latencies_ns;
  // fanout with --spread: the samples of subscribers on another node than the publisher's (the
  // others are in latencies_ns; a percentile over the whole run takes both).
  std::vector<std::int64_t> other_node_latencies_ns;
  // durable: from each SEND to its RECEIPT.
  std::vector<std::int64_t> receipt_latencies_ns;
  std::string first_error;

  void add(const std::string& name, double value = 1) { sums[name] += value; }
  void earliest(const std::string& name, double value);
  void latest(const std::string& name, double value);
  double sum(const std::string& name) const;
  // `fallback` when nothing was recorded.
  double min(const std::string& name, double fallback = 0) const;
  double max(const std::string& name, double fallback = 0) const;

  // One connection failed (or was closed early): counted, and the first reason kept.
  void fail(const std::string& why);
  // Something went wrong that is not one connection (e.g. messages missing): kept as the reason.
  void note(const std::string& why);

  void merge(const Tally& other);
  bool write(const std::string& path) const;
  bool read(const std::string& path);
};

}  // namespace aicc::loadgen
