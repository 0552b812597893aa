// The reliability suite's token scan (test/reliability.test.ts, test/reliability-input.test.ts): run last in each
// file, over every data dir its parts made, every warehouse table there and everything the CLI printed.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/pipeline.ts';
import { scanFiles, scanWarehouse, tokenForms, withWarehouse } from '../helpers/reliability.ts';
import { outputs, ROTATED, TOKEN, usedDirs } from './context.ts';

/** `cliOutputs`: how many CLI outputs (stdout and stderr of each run) the file's parts must have collected at least. */
export function describeTokenScan(cliOutputs: number): void {
  describe('the token', () => {
    const needles = [...tokenForms(TOKEN), ...tokenForms(ROTATED)];

    it('the scanner finds a planted token, raw or as Basic credentials, in a file and in a table', async () => {
      const plant = tempDir('wp-rel-plant-');
      try {
        mkdirSync(join(plant, 'store', 'runs'), { recursive: true });
        writeFileSync(join(plant, 'store', 'runs', 'history.json'), JSON.stringify({ cause: `token ${TOKEN} leaked` }));
        writeFileSync(
          join(plant, 'log.txt'),
          `Authorization: Basic ${Buffer.from(`api:${ROTATED}`).toString('base64')}`,
        );
        writeFileSync(join(plant, 'clean.txt'), 'nothing here');
        expect(scanFiles(plant, needles).hits.map((h) => h.slice(plant.length))).toEqual([
          `/log.txt: ${needles[3]?.slice(0, 6)}…`,
          `/store/runs/history.json: ${needles[0]?.slice(0, 6)}…`,
        ]);
      } finally {
        rmSync(plant, { recursive: true, force: true });
      }
    });

    it('appears in no file of any data dir, no row of any warehouse table, and nothing the CLI printed', async () => {
      expect(outputs.length).toBeGreaterThanOrEqual(cliOutputs); // the week: stdout and stderr of three CLI runs
      for (const o of outputs) for (const n of needles) expect(o.includes(n)).toBe(false);
      let files = 0;
      let bytes = 0;
      for (const d of usedDirs()) {
        const s = scanFiles(d, needles);
        expect(s.hits).toEqual([]);
        files += s.files;
        bytes += s.bytes;
      }
      let tables = 0;
      for (const d of usedDirs()) {
        const s = await withWarehouse(d, (wh) => scanWarehouse(wh, needles));
        expect(s.hits).toEqual([]);
        tables += s.tables;
      }
      // the table scan would see it: plant a row, find it, remove it (after the file scan: WAL keeps it)
      await withWarehouse(usedDirs()[0] as string, async (wh) => {
        await wh.query('CREATE TABLE public.reliability_plant (note TEXT)');
        await wh.query('INSERT INTO public.reliability_plant VALUES ($1)', [`Basic ${needles[1]}`]);
        expect((await scanWarehouse(wh, needles)).hits).toEqual([
          `public.reliability_plant: 1 row(s) hold ${needles[1]?.slice(0, 6)}…`,
        ]);
        await wh.query('DROP TABLE public.reliability_plant');
      });
      console.log(
        `token scan: ${files} files (${(bytes / 1e6).toFixed(1)} MB) in ${usedDirs().length} data dirs, ${tables} tables, ${outputs.length} CLI outputs: 0 hits for the token or its Basic form (2 tokens)`,
      );
    }, 300_000);
  });
}
