// The simulator as the CLI builds it from options, and its record in a data dir (so that later commands,
// replay, can serve the same account again: same seed, same first day, the clock moved to the day wanted).
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FAULT_KINDS, type FaultKind, type SimulatorOptions, WistiaSimulator } from '../simulator/server.ts';
import { isoDay, num, UsageError, type Options } from './command.ts';

export const simulatorOptions: Options = {
  seed: {
    type: 'string',
    value: 'S',
    default: '42',
    description: "the simulated account's seed: the same seed, the same account",
  },
  medias: {
    type: 'string',
    value: 'N',
    default: '200',
    description: 'how many medias the account holds (0 to 100,000)',
  },
  today: {
    type: 'string',
    value: 'YYYY-MM-DD',
    description: "the simulator's first day, YYYY-MM-DD (default: today's UTC date)",
  },
  'history-days': {
    type: 'string',
    value: 'D',
    default: '365',
    description: 'days of viewing history before the first day (1 to 730)',
  },
  'events-per-media-per-day': {
    type: 'string',
    value: 'X',
    default: '0.2',
    description: 'viewing events per media per day (visitors in proportion)',
  },
  'rate-limit': {
    type: 'string',
    value: 'PER_MINUTE',
    default: '600',
    description: 'requests per rolling minute the simulator accepts from the account (0: no limit)',
  },
  'legacy-rate-limit': {
    type: 'boolean',
    default: false,
    description: 'answer rate limiting as the 2016 API did: 503 with Retry-After instead of 429',
  },
  faults: {
    type: 'string',
    value: 'RATE',
    default: '0',
    description: 'the share (0 to 1) of requests answered with a fault',
  },
  'fault-kinds': {
    type: 'string',
    value: 'KIND,…',
    description: `the faults to inject, comma-separated (default: all, ${FAULT_KINDS.join(',')})`,
  },
  // records served with one defect each, seeded by --seed (local/simulator/misbehave.ts); 0 is off
  'bad-records': {
    type: 'string',
    value: 'RATE',
    default: '0',
    description: "the share (0 to 1) of each entity's records served with one defect each",
  },
  'latency-ms': {
    type: 'string',
    value: 'MS',
    default: '0',
    description: 'a fixed latency added to every request, in ms',
  },
  'live-ms-per-request': {
    type: 'string',
    value: 'MS',
    default: '0',
    description: 'ms the simulated clock moves per request (events arriving while a run pages)',
  },
};

export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

export function buildSimulator(v: Record<string, string | boolean | undefined>, token?: string): WistiaSimulator {
  const kinds =
    typeof v['fault-kinds'] === 'string' ? v['fault-kinds'].split(',').map((k) => k.trim()) : [...FAULT_KINDS];
  for (const k of kinds)
    if (!(FAULT_KINDS as readonly string[]).includes(k))
      throw new UsageError(`--fault-kinds: unknown kind "${k}" (known: ${FAULT_KINDS.join(', ')})`);
  const today = isoDay('today', typeof v.today === 'string' ? v.today : todayUtc());
  return new WistiaSimulator({
    seed: num(v, 'seed', { int: true }),
    medias: num(v, 'medias', { min: 0, max: 100_000, int: true }),
    today,
    historyDays: num(v, 'history-days', { min: 1, max: 730, int: true }),
    eventsPerMediaPerDay: num(v, 'events-per-media-per-day', { min: 0 }),
    rateLimitPerMinute: num(v, 'rate-limit', { min: 0 }),
    legacyRateLimit: v['legacy-rate-limit'] === true,
    faults: { rate: num(v, 'faults', { min: 0, max: 1 }), kinds: kinds as FaultKind[] },
    latencyMs: num(v, 'latency-ms', { min: 0 }),
    liveMsPerRequest: num(v, 'live-ms-per-request', { min: 0 }),
    misbehave: { rate: num(v, 'bad-records', { min: 0, max: 1 }), seed: num(v, 'seed', { int: true }) },
    ...(token ? { token } : {}),
  });
}

const RECORD = 'simulator.json';

/** Keeps the simulator's options beside the data (never its token). */
export function recordSimulator(dataDir: string, sim: WistiaSimulator): void {
  const { token: _token, port: _port, ...options } = sim.options;
  mkdirSync(resolve(dataDir), { recursive: true });
  writeFileSync(join(resolve(dataDir), RECORD), `${JSON.stringify(options, null, 2)}\n`);
}

/** The simulator a data dir was made with, its clock on `day`. */
export function recordedSimulator(dataDir: string, day: string): WistiaSimulator {
  const file = join(resolve(dataDir), RECORD);
  if (!existsSync(file))
    throw new UsageError(
      `${file} is missing: this data dir was not made with --simulate (against the real API, drop --simulate and set WISTIA_API_TOKEN)`,
    );
  const options = JSON.parse(readFileSync(file, 'utf8')) as SimulatorOptions;
  const sim = new WistiaSimulator(options);
  const days = Math.round((Date.parse(day) - Date.parse(options.today)) / 86_400_000);
  if (days < 0) throw new UsageError(`the execution's day ${day} is before the simulator's first day ${options.today}`);
  if (days > 0) sim.advance(days);
  return sim;
}
