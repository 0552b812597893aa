// `wistia-pipeline dashboard`, the command: help, exit codes (a bad argument, no warehouse, a broken one, a busy
// port), and the process a user runs, serving the seeded account until SIGINT or SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXIT, main } from '#local/cli/main.ts';
import { LocalWarehouse } from '#local/warehouse/postgres.ts';
import { freePort } from '#local/net.ts';
import { seededCopy, type Seeded } from './helpers/seeded.ts';
import { tempDir } from './helpers/pipeline.ts';
import { ROOT } from './helpers/sim.ts';

type Row = Record<string, unknown>;

describe('wistia-pipeline dashboard (CLI)', () => {
  let out = '';
  let err = '';
  beforeEach(() => {
    out = '';
    err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  });
  afterEach(() => vi.restoreAllMocks());

  it('prints its usage with --help and exits 0', async () => {
    expect(await main(['dashboard', '--help'])).toBe(EXIT.ok);
    expect(out).toContain('Usage: wistia-pipeline dashboard [--data-dir DIR] [--port P]');
    expect(out).toContain('--aws');
  });

  it('exits 2 on a bad port, a stray argument, or --aws without a region or a workgroup', async () => {
    expect(await main(['dashboard', '--port', 'http'])).toBe(EXIT.usage);
    expect(err).toContain('--port: expected an integer >= 0 <= 65535, got "http"');
    expect(await main(['dashboard', 'now'])).toBe(EXIT.usage);
    expect(err).toContain('unexpected argument "now"');
    const saved = [process.env.AWS_REGION, process.env.AWS_DEFAULT_REGION];
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      expect(await main(['dashboard', '--aws'])).toBe(EXIT.usage);
      expect(err).toContain('--aws needs --region (or AWS_REGION)');
      // the workgroup's name is the stack's (derived from the stack name): no default to guess wrong
      expect(await main(['dashboard', '--aws', '--region', 'us-east-1'])).toBe(EXIT.usage);
      expect(err).toContain(
        "--aws needs --workgroup: the Redshift Serverless workgroup (the stack's WorkgroupName output",
      );
    } finally {
      if (saved[0] !== undefined) process.env.AWS_REGION = saved[0];
      if (saved[1] !== undefined) process.env.AWS_DEFAULT_REGION = saved[1];
    }
  });

  it('exits 3 naming the data dir and the demo when there is no warehouse yet', async () => {
    const dir = tempDir('wp-dash-empty-');
    try {
      expect(await main(['dashboard', '--data-dir', dir, '--port', '0'])).toBe(EXIT.config);
      expect(err).toContain(`dashboard: no warehouse in ${dir}`);
      expect(err).toContain('Run "npx wistia-pipeline demo" first');
      expect(existsSync(join(dir, 'warehouse'))).toBe(false); // it created nothing
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 3 naming the data dir when its warehouse cannot start', async () => {
    const dir = tempDir('wp-dash-broken-');
    mkdirSync(join(dir, 'warehouse', 'pg'), { recursive: true });
    writeFileSync(join(dir, 'warehouse', 'pg', 'PG_VERSION'), '17\n'); // a data dir with nothing else in it
    try {
      expect(await main(['dashboard', '--data-dir', dir, '--port', '0'])).toBe(EXIT.config);
      expect(err).toContain(`dashboard: the warehouse of data dir ${dir} did not start: could not start the local`);
      expect(err).toContain('postgresql.conf'); // the server's own reason
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('wistia-pipeline dashboard over the seeded account', () => {
  let seeded: Seeded;
  let wh: LocalWarehouse;
  const sql = (text: string, params: unknown[] = []) => wh.query(text, params);

  beforeAll(async () => {
    seeded = await seededCopy('wp-dashboard-');
    wh = await new LocalWarehouse(seeded.dataDir).start();
  }, 900_000);

  afterAll(async () => {
    await wh?.stop();
    if (seeded) rmSync(seeded.dataDir, { recursive: true, force: true });
  });

  describe('the command', () => {
    it('exits 3 when the port is busy', async () => {
      const busy: Server = createServer();
      const port = await freePort();
      await new Promise<void>((r) => busy.listen(port, '127.0.0.1', r));
      let err = '';
      vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
      try {
        expect(await main(['dashboard', '--data-dir', seeded.dataDir, '--port', String(port)])).toBe(EXIT.config);
        expect(err).toContain(`dashboard: port ${port} on 127.0.0.1 is busy: pick another with --port`);
      } finally {
        vi.restoreAllMocks();
        await new Promise((r) => busy.close(r));
      }
    });

    /** `wistia-pipeline dashboard` as a user runs it: a process of its own, stopped by a signal. */
    async function serveAndStop(dataDir: string, signal: 'SIGINT' | 'SIGTERM') {
      const child = spawn(
        process.execPath,
        [join(ROOT, 'bin', 'wistia-pipeline.mjs'), 'dashboard', '--data-dir', dataDir, '--port', '0'],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b) => (stdout += String(b)));
      child.stderr.on('data', (b) => (stderr += String(b)));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      try {
        await vi.waitFor(
          () => {
            if (!/Dashboard: http:\/\/127\.0\.0\.1:\d+\//.test(stdout)) throw new Error(`no URL yet: ${stderr}`);
          },
          { timeout: 90_000, interval: 200 },
        );
        const url = /Dashboard: (http:\S+)/.exec(stdout)![1]!;
        expect(stdout).toContain(`warehouse  local PostgreSQL (${join(dataDir, 'warehouse', 'pg')})`);
        const kpis = (await (await fetch(new URL('/api/kpis', url))).json()) as Row;
        const [truth] = await sql('SELECT SUM(play_count) AS plays FROM analytics.fct_media_engagement');
        expect(kpis.plays).toBe(truth?.plays);
        child.kill(signal);
        expect(await exited).toBe(EXIT.ok);
        expect(stderr).toContain(`dashboard: stopped (${signal})`);
        await expect(fetch(url)).rejects.toThrow(); // nobody listens there any more
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    }

    it('prints its URL, serves, and stops with exit 0 on SIGINT, leaving a warehouse it joined running', async () => {
      await serveAndStop(seeded.dataDir, 'SIGINT');
      expect(await sql('SELECT 1 AS up')).toEqual([{ up: 1 }]);
    }, 120_000);

    it('stops with exit 0 on SIGTERM, and stops the warehouse it started', async () => {
      const own = await seededCopy('wp-dashboard-cli-');
      try {
        await serveAndStop(own.dataDir, 'SIGTERM');
        expect(existsSync(join(own.dataDir, 'warehouse', 'pg', 'postmaster.pid'))).toBe(false);
      } finally {
        rmSync(own.dataDir, { recursive: true, force: true });
      }
    }, 180_000);
  });
});
