#include "bench/loadgen/tally.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace aicc::loadgen {

void Tally::earliest(const std::string& name, double value) {
  auto [it, inserted] = mins.emplace(name, value);
  if (!inserted) it->second = std::min(it->second, value);
}

void Tally::latest(const std::string& name, double value) {
  auto [it, inserted] = maxes.emplace(name, value);
  if (!inserted) it->second = std::max(it->second, value);
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
  if (first_error.empty()) first_error = other.first_error;
}

// Text lines "sum|min|max NAME VALUE", "error TEXT", then "latencies COUNT" and the samples as raw
// int64 (a million samples stay 8 MB and exact).
bool Tally::write(const std::string& path) const {
  std::ofstream out(path, std::ios::binary);
  out.precision(17);
  for (const auto& [name, value] : sums) out << "sum " << name << " " << value << "\n";
  for (const auto& [name, value] : mins) out << "min " << name << " " << value << "\n";
  for (const auto& [name, value] : maxes) out << "max " << name << " " << value << "\n";
  std::string error = first_error;
  std::replace(error.begin(), error.end(), '\n', ' ');
  if (!error.empty()) out << "error " << error << "\n";
  out << "latencies " << latencies_ns.size() << "\n";
  out.write(reinterpret_cast<const char*>(latencies_ns.data()),
            static_cast<std::streamsize>(latencies_ns.size() * sizeof(std::int64_t)));
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
    if (kind == "latencies") {
      std::size_t count = 0;
      fields >> count;
      const std::size_t had = latencies_ns.size();
      latencies_ns.resize(had + count);
      in.read(reinterpret_cast<char*>(latencies_ns.data() + had),
              static_cast<std::streamsize>(count * sizeof(std::int64_t)));
      return static_cast<std::size_t>(in.gcount()) == count * sizeof(std::int64_t);
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
