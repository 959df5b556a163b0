#!/usr/bin/env node
// Prints the meta.json of a side-by-side run (bench/side-by-side.sh passes what it knows in META_*
// environment variables; the machine is described here): the command, the date (UTC), the machine,
// the commit, the sizes and the servers' versions and settings. Read by bench/report.mjs.
import { describeMachine } from '../lib/machine.mjs';

const env = process.env;
const number = (name) => (env[name] === undefined || env[name] === '' ? null : Number(env[name]));
const heap = env.META_HEAP || '2g';

const meta = {
  command: env.META_COMMAND || 'bench/side-by-side.sh',
  mode: env.META_MODE || 'short',
  dateUtc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  durationSeconds: number('META_DURATION'),
  gitCommit: env.META_COMMIT || 'unknown',
  machine: {
    ...describeMachine(env.META_LOAD_AT_START),
    descriptorLimit: number('META_FD_LIMIT'),
  },
  pinning: { serverCpu: number('META_SERVER_CPU'), loadgenCpu: number('META_LOADGEN_CPU') },
  sizes: {
    idleConnections: number('META_IDLE_N'),
    idleRamp: number('META_IDLE_RAMP'),
    idleHoldSeconds: number('META_IDLE_HOLD'),
    fanoutSubscribers: number('META_FAN_SUBS'),
    fanoutMaxMessages: number('META_FAN_MAX_MESSAGES'),
    fanoutFractions: (env.META_FAN_FRACTIONS || '').split(/\s+/).filter(Boolean).map(Number),
    fanoutSecondsPerPoint: number('META_FAN_SECONDS'),
    stormConnections: number('META_STORM_N'),
    roomsConnections: number('META_ROOMS_N'),
    durableConnections: (env.META_DURABLE_SIZES || '').split(/\s+/).filter(Boolean).map(Number),
    durableHoldSeconds: number('META_DURABLE_HOLD'),
  },
  commonPublishRate: number('META_COMMON_RATE'),
  servers: (env.META_SERVERS || '').split(/\s+/).filter(Boolean),
  loadgenHasTarget: env.META_PEERS_SUPPORTED === 'true',
  versions: {
    aicc: env.META_AICC_VERSION || '',
    rabbitmq: env.META_RABBITMQ_VERSION || '',
    activemq: env.META_ACTIVEMQ_VERSION || '',
    erlang: env.META_ERLANG_VERSION || '',
    java: env.META_JAVA_VERSION || '',
  },
  settings: {
    aicc: 'server.threads=1, log.level=warn, SQLite store and local bus in a temporary folder, ' +
      'WebSocket handshake limits per address raised out of the way',
    rabbitmq: 'rabbitmq_web_stomp (ws) and rabbitmq_stomp plugins, AMQP listener off, ' +
      'default memory watermark (0.4 of RAM), Erlang schedulers unbound (pinned by taskset)',
    activemq: `STOMP over TCP on NIO (stomp+nio), heart-beat grace 1.5 (like aicc-chat), non-persistent, advisories off, ` +
      `JMX off, fixed heap -Xms${heap} -Xmx${heap}, shared task runner (UseDedicatedTaskRunner=false)`,
  },
};
process.stdout.write(`${JSON.stringify(meta, null, 1)}\n`);
