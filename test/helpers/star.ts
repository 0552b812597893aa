// The star schema as the tests compare warehouses: its tables with their natural keys, and a dump of their
// business columns.
import { LocalWarehouse } from '#local/warehouse/postgres.ts';

/** The star schema's tables and their natural keys. */
export const STAR = {
  dim_date: ['date_key'],
  dim_project: ['project_id'],
  dim_media: ['media_id'],
  dim_visitor: ['visitor_key'],
  fct_viewing_event: ['event_key'],
  fct_media_engagement: ['media_id', 'snapshot_date'],
  media_engagement_curve: ['media_id'],
} as const;
export type StarTable = keyof typeof STAR;

/** Every star table's business columns (the "_" lineage columns name runs, which differ by design), by its key. */
export async function starSnapshot(dir: string): Promise<Record<string, unknown[]>> {
  const wh = await new LocalWarehouse(dir).start();
  try {
    const out: Record<string, unknown[]> = {};
    for (const [t, keys] of Object.entries(STAR)) {
      const rows = await wh.query(`SELECT * FROM analytics.${t} ORDER BY ${keys.join(', ')}`);
      out[t] = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('_'))));
    }
    return out;
  } finally {
    await wh.stop();
  }
}
