// What a benchmark's meta.json says of the machine it ran on (bench/cluster-meta.mjs and
// bench/peers/meta.mjs): the CPU, cores, memory, kernel, OS and the load averages at the start
// (passed in by the script) and now.
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';

const readOr = (read) => { try { return read(); } catch { return ''; } };
const round2 = (value) => Math.round(value * 100) / 100;

// `loadAtStart`: the "1 5 15" minute load averages the script read before it began.
export function describeMachine(loadAtStart = '') {
  const lscpu = readOr(() => execFileSync('lscpu', { encoding: 'utf8' }));
  const osRelease = readOr(() => fs.readFileSync('/etc/os-release', 'utf8'));
  return {
    cpuModel: (/^Model name:\s*(.+)$/m.exec(lscpu) || [])[1] || os.cpus()[0]?.model || 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    os: (/^PRETTY_NAME="?([^"\n]+)/m.exec(osRelease) || [])[1] || os.type(),
    // 1, 5 and 15 minute load averages: other work on the machine shows here.
    loadAverageAtStart: loadAtStart.split(/\s+/).filter(Boolean).map(Number),
    loadAverageAtEnd: os.loadavg().map(round2),
  };
}
