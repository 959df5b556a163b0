#include "bench/loadgen/tally.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace aicc::loadgen {

void Tally::earliest(const std::string& name, double value) {
  if (auto it = mins.find(name); it != mins.end()) {
    it->second = std::min(it->second, value);
    return;
  }
  mins.emplace(name, value);
}

void Tally::latest(const std::string& name, double value) {
  // Looked up first: emplace would build (and free) a node on every call.
  if (auto it = maxes.find(name); it != maxes.end()) {
    it->second = std::max(it->second, value);
    return;
  }
  maxes.emplace(name, value);
}

double Tally::sum(const std::string& name) const {
  auto it = sums.find(name);
  return it == sums.end() ? 0 : it->second;
}

double Tally::min(const std::string& name, double fallback) const {
  auto it = mins.find(name);
  return it == mins.end() ? fallback : it->second;
}

double Tally::max(const std::string& name, double fallback) const {
  auto it = maxes.find(name);
  return it == maxes.end() ? fallback : it->second;
}

void Tally::fail(const std::string& why) {
  add("failed");
  note(why);
}

void Tally::note(const std::string& why) {
  if (first_error.empty()) first_error = why;
}

void Tally::merge(const Tally& other) {
  for (const auto& [name, value] : other.sums) add(name, value);
  for (const auto& [name, value] : other.mins) earliest(name, value);
  for (const auto& [name, value] : other.maxes) latest(name, value);
  latencies_ns.insert(latencies_ns.end(), other.latencies_ns.begin(), other.latencies_ns.end());
  other_node_latencies_ns.insert(other_node_latencies_ns.end(),
                                 other.other_node_latencies_ns.begin(),
                                 other.other_node_latencies_ns.end());
  receipt_latencies_ns.insert(receipt_latencies_ns.end(), other.receipt_latencies_ns.begin(),
                              other.receipt_latencies_ns.end());
  if (first_error.empty()) first_error = other.first_error;
}

namespace {

void write_samples(std::ofstream& out, const char* name, const std::vector<std::int64_t>& samples) {
  out << name << " " << samples.size() << "\n";
  out.write(reinterpret_cast<const char*>(samples.data()),
            static_cast<std::streamsize>(samples.size() * sizeof(std::int64_t)));
}

bool read_samples(std::ifstream& in, std::size_t count, std::vector<std::int64_t>& samples) {
  const std::size_t had = samples.size();
  samples.resize(had + count);
  in.read(reinterpret_cast<char*>(samples.data() + had),
          static_cast<std::streamsize>(count * sizeof(std::int64_t)));
  return static_cast<std::size_t>(in.gcount()) == count * sizeof(std::int64_t);
}

}  // namespace

// Text lines "sum|min|max NAME VALUE", "error TEXT", then "latencies COUNT" and the samples as raw
// int64 (a million samples stay 8 MB and exact), then "other-node-latencies COUNT" and its samples.
bool Tally::write(const std::string& path) const {
  std::ofstream out(path, std::ios::binary);
  out.precision(17);
  for (const auto& [name, value] : sums) out << "sum " << name << " " << value << "\n";
  for (const auto& [name, value] : mins) out << "min " << name << " " << value << "\n";
  for (const auto& [name, value] : maxes) out << "max " << name << " " << value << "\n";
  std::string error = first_error;
  std::replace(error.begin(), error.end(), '\n', ' ');
  if (!error.empty()) out << "error " << error << "\n";
  write_samples(out, "latencies", latencies_ns);
  write_samples(out, "receipt-latencies", receipt_latencies_ns);
  write_samples(out, "other-node-latencies", other_node_latencies_ns);
  return static_cast<bool>(out.flush());
}

bool Tally::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string kind, name;
    fields >> kind;
    if (kind == "error") {
      note(line.size() > 6 ? line.substr(6) : std::string());
      continue;
    }
    if (kind == "latencies" || kind == "receipt-latencies" || kind == "other-node-latencies") {
      std::size_t count = 0;
      fields >> count;
      std::vector<std::int64_t>& samples = kind == "latencies"           ? latencies_ns
                                           : kind == "receipt-latencies" ? receipt_latencies_ns
                                                                         : other_node_latencies_ns;
      if (!read_samples(in, count, samples)) return false;
      if (kind == "other-node-latencies") return true;  // the last section
      continue;
    }
    double value = 0;
    fields >> name >> value;
    if (kind == "sum")
      add(name, value);
    else if (kind == "min")
      earliest(name, value);
    else if (kind == "max")
      latest(name, value);
  }
  return false;
}

}  // namespace aicc::loadgen
