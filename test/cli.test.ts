// The CLI: help on every command, exit codes scripts can rely on, and a simulated two-day run's progress and summary.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXIT, main } from '#local/cli/main.ts';
import { workStates } from '#local/runner/asl.ts';
import { gatherStatus } from '#local/ops/status.ts';

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
    for (const c of ['simulator', 'run', 'demo']) expect(out).toContain(`  ${c}`);
    expect(out).toContain('Exit codes: 0 ok');
  });

  it.each(['simulator', 'run', 'demo'])('"%s --help" prints its usage and exits 0', async (cmd) => {
    expect(await main([cmd, '--help'])).toBe(EXIT.ok);
    expect(out).toContain(`Usage: wistia-pipeline ${cmd}`);
  });

  it('exits 2 with a clear message on an unknown command, an unknown flag or a bad value', async () => {
    expect(await main(['nope'])).toBe(EXIT.usage);
    expect(err).toContain('unknown command "nope"');
    expect(await main(['run', '--bogus'])).toBe(EXIT.usage);
    expect(err).toContain("run: unknown option '--bogus'");
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

  it('exits 3 naming the variable when run has no token, before any request', async () => {
    const saved = process.env.WISTIA_API_TOKEN;
    delete process.env.WISTIA_API_TOKEN;
    const dir = mkdtempSync(join(tmpdir(), 'wp-'));
    try {
      expect(await main(['run', '--api-base-url', 'http://127.0.0.1:9/v1', '--data-dir', dir])).toBe(EXIT.config);
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
      // a progress line for every work state (the ASL's top-level Tasks and Maps) each day entered
      const entered = new Set<string>();
      for (const run of readdirSync(join(dir, 'store', 'runs'))) {
        // runs/<execution>/history.jsonl: one event a line
        const lines = readFileSync(join(dir, 'store', 'runs', run, 'history.jsonl'), 'utf8').split('\n');
        expect(lines.pop()).toBe('');
        const events = lines.map((l) => JSON.parse(l) as { type: string; state?: string; child?: string });
        expect(events[0]?.type).toBe('ExecutionStarted');
        for (const e of events) if (e.type === 'StateEntered' && !e.child && e.state) entered.add(e.state);
      }
      const work = workStates().filter((s) => entered.has(s));
      expect(work).toEqual(
        expect.arrayContaining(['Plan the run', 'Fetch event pages by window', 'Commit watermarks']),
      );
      for (const s of work) expect(out, s).toContain(`▸ ${s}`);
      expect(out.match(/✔ daily-2026-11-2\d-\S+ SUCCEEDED/g)).toHaveLength(2);
      expect(out).toMatch(/^2026-11-20 {2}SUCCEEDED +\d+/m);
      expect(out).toMatch(/^2026-11-21 {2}SUCCEEDED +\d+/m);
      expect(out).toContain('watermarks: events through 2026-11-21');
      expect(out).toContain(`${dir}/store/bronze/<entity>/ingest_date=YYYY-MM-DD/run=<execution>/`);
      // what the two runs would cost in AWS: the figures `status --cost --project 30` gives
      const st = await gatherStatus({ dataDir: dir, warehouse: false, cost: true, projectDays: 30 });
      const sum = st.executions.reduce((a, x) => a + x.cost!.totalUsd, 0);
      expect(sum).toBeGreaterThan(0);
      expect(out).toContain(`the data dir's 2 runs $${sum.toFixed(4)}; 30 days like them`);
      expect(out).toContain(`$${st.projection!.totalUsd.toFixed(2)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
