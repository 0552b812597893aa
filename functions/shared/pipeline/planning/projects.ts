// The projects (folders) listing the plan makes beside the media listing, decided over plain data: GET /projects
// sorted by `updated`, newest first (OAS-V1 /projects: sort_by name | created | updated | mediaCount | id), page
// after page until a page reaches back past the projects watermark minus the overlap, as the medias do (no
// `updated_since` filter exists; a first run or a full refresh lists them all). Every page listed lands as bronze;
// the transform builds dim_project from it.
import { overlapBounds, type Watermarks } from '../watermarks.ts';

/** Where the projects listing stops: the projects watermark minus the overlap (since null: list every project). */
export type ProjectBounds = ReturnType<typeof overlapBounds>;

export const projectBounds = (previous: Watermarks | undefined, overlapMinutes: number): ProjectBounds =>
  overlapBounds(previous?.projects?.maxUpdated ?? null, overlapMinutes);

/** The projects listing so far (what the plan reports and the commit advances the watermark to). */
export interface ProjectScan {
  readonly pages: number;
  readonly listed: number;
  /** Projects updated after the watermark. */
  readonly changed: number;
  readonly maxUpdated: string | null;
  /** A page reached back before `since`: the listing stops. */
  readonly pastWatermark: boolean;
  /** The medias the listed projects say they hold (`mediaCount`, dated API `media_count`): on a full listing,
   * the account's medias, which sizes the media listing's page-ahead (planning/plan.ts mediaListingAhead). */
  readonly mediaCount: number;
}

export const startProjectScan = (bounds: ProjectBounds): ProjectScan => ({
  pages: 0,
  listed: 0,
  changed: 0,
  mediaCount: 0,
  maxUpdated: bounds.watermark,
  pastWatermark: false,
});

/** The scan after one more page of projects (newest update first). */
export function addProjectPage(scan: ProjectScan, records: readonly unknown[], bounds: ProjectBounds): ProjectScan {
  let { maxUpdated, changed, mediaCount } = scan;
  let pastWatermark = false;
  for (const r of records) {
    const p = r !== null && typeof r === 'object' ? (r as Record<string, unknown>) : {};
    const count = p.mediaCount ?? p.media_count;
    if (typeof count === 'number' && Number.isFinite(count) && count > 0) mediaCount += count;
    const at = typeof p.updated === 'string' ? Date.parse(p.updated) : Number.NaN;
    // a project without a usable id or `updated` never stops the listing: the transform quarantines it
    if (typeof p.id !== 'number' || Number.isNaN(at)) continue;
    const updated = new Date(at).toISOString();
    if (bounds.since !== null && updated < bounds.since) {
      pastWatermark = true;
      continue;
    }
    if (bounds.watermark !== null && updated <= bounds.watermark) continue; // in the overlap: landed again
    changed++;
    if (!maxUpdated || updated > maxUpdated) maxUpdated = updated;
  }
  return {
    pages: scan.pages + 1,
    listed: scan.listed + records.length,
    changed,
    maxUpdated,
    pastWatermark,
    mediaCount,
  };
}

/** The plan's report of the listing (PlanOutput.projects). */
export const projectsOutput = (scan: ProjectScan) => ({
  pages: scan.pages,
  listed: scan.listed,
  changed: scan.changed,
  maxUpdated: scan.maxUpdated,
});
