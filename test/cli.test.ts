// The CLI: help on every command, exit codes scripts can rely on, and the demo's whole-account pull.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXIT, main } from '#local/cli/main.ts';

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

describe('wistia-pipeline', () => {
  it('prints help with every command and the exit codes', async () => {
    expect(await main(['--help'])).toBe(EXIT.ok);
    for (const c of ['simulator', 'pull', 'run', 'demo']) expect(out).toContain(`  ${c}`);
    expect(out).toContain('Exit codes: 0 ok');
  });

  it.each(['simulator', 'pull', 'run', 'demo'])('"%s --help" prints its usage and exits 0', async (cmd) => {
    expect(await main([cmd, '--help'])).toBe(EXIT.ok);
    expect(out).toContain(`Usage: wistia-pipeline ${cmd}`);
  });

  it('exits 2 with a clear message on an unknown command, an unknown flag or a bad value', async () => {
    expect(await main(['nope'])).toBe(EXIT.usage);
    expect(err).toContain('unknown command "nope"');
    expect(await main(['pull', '--bogus'])).toBe(EXIT.usage);
    expect(err).toContain("Unknown option '--bogus'");
    expect(await main(['demo', '--medias', 'lots'])).toBe(EXIT.usage);
    expect(err).toContain('--medias: expected an integer >= 0 <= 100000, got "lots"');
    expect(await main(['demo', '--fault-kinds', '500,teapot'])).toBe(EXIT.usage);
    expect(err).toContain('--fault-kinds: unknown kind "teapot"');
  });

  it('keeps the previous demo when an option is wrong: the data dir is cleared only once they are checked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-demo-'));
    try {
      const kept = [join(dir, 'store', 'runs', 'x', 'execution.json'), join(dir, 'warehouse', 'pg', 'PG_VERSION')];
      for (const f of kept) {
        mkdirSync(join(f, '..'), { recursive: true });
        writeFileSync(f, '{}');
      }
      expect(await main(['demo', '--data-dir', dir, '--medias', 'lots'])).toBe(EXIT.usage);
      expect(await main(['demo', '--data-dir', dir, '--fault-kinds', '500,teapot'])).toBe(EXIT.usage);
      expect(await main(['demo', '--data-dir', dir, '--days', '0'])).toBe(EXIT.usage);
      expect(await main(['demo', '--data-dir', dir, '--quarantine-threshold', '2'])).toBe(EXIT.usage);
      expect(kept.map((f) => existsSync(f))).toEqual([true, true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 3 naming the variable when pull has no token', async () => {
    const saved = process.env.WISTIA_API_TOKEN;
    delete process.env.WISTIA_API_TOKEN;
    const dir = mkdtempSync(join(tmpdir(), 'wp-'));
    try {
      expect(await main(['pull', '--api-base-url', 'http://127.0.0.1:9/v1', '--data-dir', dir])).toBe(EXIT.config);
      expect(err).toContain('WistiaConfigError: WISTIA_API_TOKEN is not set');
    } finally {
      if (saved !== undefined) process.env.WISTIA_API_TOKEN = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 when --days is asked of a real API (one run a day there)', async () => {
    expect(await main(['run', '--days', '3'])).toBe(EXIT.usage);
    expect(err).toContain('--days above 1 needs --simulate');
  });

  it('run --simulate --days 2 executes the state machine twice, advancing the clock, and summarises each day', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-'));
    try {
      const args = [
        '--medias',
        '30',
        '--today',
        '2026-11-20',
        '--history-days',
        '40',
        '--rate-limit',
        '0',
        '--budget',
        '60000',
        '--data-dir',
        dir,
      ];
      expect(await main(['run', '--simulate', '--days', '2', ...args])).toBe(EXIT.ok);
      expect(out).toContain('day 1/2: 2026-11-20');
      expect(out).toContain('day 2/2: 2026-11-21');
      expect(out).toContain('▸ Fetch event pages by window');
      expect(out.match(/✔ daily-2026-11-2\d-\S+ SUCCEEDED/g)).toHaveLength(2);
      expect(out).toMatch(/^2026-11-20 {2}SUCCEEDED +\d+/m);
      expect(out).toMatch(/^2026-11-21 {2}SUCCEEDED +\d+/m);
      expect(out).toContain('watermarks: events through 2026-11-21');
      expect(out).toContain(`${dir}/store/bronze/<entity>/ingest_date=YYYY-MM-DD/run=<execution>/`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pull --simulate pulls every media, event and visitor the simulator holds and says where they are', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-'));
    try {
      const code = await main([
        'pull',
        '--simulate',
        '--medias',
        '40',
        '--today',
        '2026-11-20',
        '--history-days',
        '60',
        '--rate-limit',
        '0',
        '--budget',
        '0',
        '--data-dir',
        dir,
      ]);
      expect(code).toBe(EXIT.ok);
      expect(out).toContain('complete          yes');
      const m = /Where to look: (\S+)/.exec(out);
      const pulled = m?.[1] ?? '';
      expect(pulled.startsWith(dir)).toBe(true);
      const lines = (f: string) =>
        readFileSync(join(pulled, f), 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines('medias.jsonl')).toHaveLength(40);
      const mediasLine = /medias\s+(\d+)/.exec(out);
      expect(Number(mediasLine?.[1])).toBe(40);
      const events = lines('events.jsonl');
      expect(out).toContain(`viewing events    ${events.length} rows`);
      expect(new Set(events.map((e) => e.event_key)).size).toBe(events.length);
      expect(lines('media_stats.jsonl')).toHaveLength(40);
      expect(lines('account.jsonl')[0]?.play_count).toBe(events.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
