import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WistiaClient, type WistiaClientOptions, type Logger } from '#shared/wistia/client.ts';
import { startSimulator, type SimulatorOptions, type WistiaSimulator } from '#local/simulator/server.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TOKEN = 'test-token-5f2b9c1e7a';
export const TODAY = '2026-11-20';

/**
 * The folder holding wistia-api/ (schemas, example bodies): WISTIA_SHARED_DIR when set, else the copy vendored in
 * contracts/ (so a bare checkout, e.g. GitHub's, has it), else ../shared beside the repository.
 */
export function sharedDir(): string {
  const candidates = process.env.WISTIA_SHARED_DIR
    ? [process.env.WISTIA_SHARED_DIR]
    : [join(ROOT, 'contracts'), join(ROOT, '..', 'shared')];
  const dir = candidates.find((d) => existsSync(join(d, 'wistia-api')));
  if (!dir) throw new Error(`wistia-api/ not found in ${candidates.join(' or ')} (set WISTIA_SHARED_DIR)`);
  return dir;
}

export async function sim(opts: Partial<SimulatorOptions> = {}): Promise<WistiaSimulator> {
  return startSimulator({
    seed: 7,
    medias: 30,
    today: TODAY,
    token: TOKEN,
    rateLimitPerMinute: 0,
    historyDays: 60,
    ...opts,
  });
}

/** A client with test-friendly timings (fast backoff), talking to `s` over real HTTP. */
export function clientFor(s: WistiaSimulator, opts: Partial<WistiaClientOptions> = {}): WistiaClient {
  return new WistiaClient({
    baseUrl: s.baseUrl,
    token: TOKEN,
    budget: 0,
    backoffBaseMs: 5,
    backoffMaxMs: 50,
    timeoutMs: 5000,
    ...opts,
  });
}

/** A logger that keeps every line as the JSON a real logger would print. */
export function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (level: string) => (message: string, extra?: Record<string, unknown>) =>
    lines.push(JSON.stringify({ level, message, ...extra }));
  return { lines, debug: put('debug'), info: put('info'), warn: put('warn') };
}

export async function collect<T>(it: AsyncIterable<{ body: T[] }>): Promise<T[]> {
  const out: T[] = [];
  for await (const p of it) out.push(...p.body);
  return out;
}

export async function get(
  s: WistiaSimulator,
  path: string,
  headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
): Promise<{ status: number; text: string; headers: Headers; json: () => unknown }> {
  const r = await fetch(`${s.baseUrl}${path}`, { headers });
  const text = await r.text();
  return { status: r.status, text, headers: r.headers, json: () => JSON.parse(text) };
}
