#!/usr/bin/env node
// Prints the meta.json of a bench/cluster.sh run (the script passes what it knows in META_*
// environment variables; the machine is described here): the command, the date (UTC), the machine
// and its load, the commit, the sizes and the versions. Read by bench/cluster-report.mjs.
import { describeMachine } from './lib/machine.mjs';

const env = process.env;
const number = (name) => (env[name] === undefined || env[name] === '' ? null : Number(env[name]));
const numbers = (name) => (env[name] || '').split(/\s+/).filter(Boolean).map(Number);

const meta = {
  command: env.META_COMMAND || 'bench/cluster.sh',
  mode: env.META_MODE || 'short',
  dateUtc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  durationSeconds: number('META_DURATION'),
  gitCommit: env.META_COMMIT || 'unknown',
  machine: describeMachine(env.META_LOAD_AT_START),
  pinning: { serverCpu: number('META_SERVER_CPU'), loadgenCpu: number('META_LOADGEN_CPU') },
  sizes: {
    fanoutSubscribers: number('META_FAN_SUBS'),
    fanoutFractions: numbers('META_FAN_FRACTIONS'),
    fanoutSecondsPerPoint: number('META_FAN_SECONDS'),
    redisPublishRate: number('META_REDIS_RATE'),
    roomsConnections: number('META_ROOMS_N'),
    roomsHoldSeconds: number('META_ROOMS_HOLD'),
    failoverTrials: number('META_FAILOVER_TRIALS'),
    failoverClients: number('META_FAILOVER_CLIENTS'),
  },
  // Redis with the cluster up and no load: presence heartbeats and the like.
  redisAtRest: {
    publishPerSecond: number('META_REDIS_REST_RATE'),
    bytesInPerSecond: number('META_REDIS_REST_BYTES_IN'),
    bytesOutPerSecond: number('META_REDIS_REST_BYTES_OUT'),
  },
  versions: {
    aicc: env.META_AICC_VERSION || '',
    postgres: env.META_POSTGRES_VERSION || '',
    redis: env.META_REDIS_VERSION || '',
    haproxy: env.META_HAPROXY_VERSION || '',
    node: process.version,
  },
};
process.stdout.write(`${JSON.stringify(meta, null, 1)}\n`);
