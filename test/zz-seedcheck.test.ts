import { expect, it } from 'vitest';
import { seededCopy } from './helpers/seeded.ts';
import { LocalWarehouse } from '#local/warehouse/postgres.ts';
it('seeded', async () => {
  const s = await seededCopy();
  const wh = await new LocalWarehouse(s.dataDir).start();
  const r = await wh.query('SELECT channel, COUNT(*) n FROM analytics.fct_viewing_event GROUP BY 1 ORDER BY 1');
  console.log(s, r);
  await wh.stop();
  expect(r.length).toBeGreaterThan(0);
}, 900_000);
