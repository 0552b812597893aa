// The fewest requests a run of an account can make, by the design's own accounting (docs/adr/0004), computed
// from the simulator's truth rather than from what the pipeline did: medias list pages + 1 for the account's
// stats by date (issue 17: one request over the run's range) + event pages per window + 3 per media needing
// engagement (stats by date, engagement, lifetime stats) + the cheaper of visitor lookups and a visitor scan +
// projects list pages (the projects changed since the previous run, all of them on a first run). Lists are bare
// arrays of at most 100 with no total, so n items cost floor(n / 100) + 1 pages.
import type { Window } from '#shared/pipeline/windows.ts';
import { DAY_MS, type World } from '../simulator/world.ts';

export interface Minimum {
  readonly total: number;
  readonly parts: {
    medias: number;
    account: number;
    events: number;
    engagement: number;
    visitors: number;
    projects: number;
  };
  /** Medias needing engagement and visitors active (all of them on a first run). */
  readonly mediasNeedingEngagement: number;
  readonly activeVisitors: number;
}

/** What the previous run saw: its "now" and how many events were visible then (events are in time order). */
export interface PreviousView {
  readonly nowMs: number;
  readonly visibleEvents: number;
}

/** Requests to page through a list of `n` items, 100 a page (a full last page costs one more, empty, page). */
export const listPages = (n: number): number => Math.floor(n / 100) + 1;

/** Events the simulator holds in a window, visible now. */
export function eventsIn(world: World, w: Window): number {
  const from = Math.max(Date.parse(`${w.start}T00:00:00Z`), world.retentionStartMs());
  const to = Date.parse(`${w.end}T00:00:00Z`) + DAY_MS;
  return Math.max(0, Math.min(world.lowerBound(to), world.visibleEvents()) - world.lowerBound(from));
}

/**
 * The minimum for a run over `windows`: a first run when `previous` is absent (every media needs engagement,
 * every visitor is active), else an incremental run after a run that saw `previous`.
 */
export function minimumRequests(world: World, windows: readonly Window[], previous?: PreviousView): Minimum {
  const medias = world.visibleMedias();
  const visitorsTotal = world.visibleVisitors();
  const visible = world.visibleEvents();
  let changed = medias.length;
  let needing = medias.length;
  let active = visitorsTotal;
  const projects = world.renderProjects();
  let changedProjects = projects.length;
  if (previous) {
    changedProjects = projects.filter((p) => Date.parse(String(p.updated)) > previous.nowMs).length;
    const need = new Set<number>();
    changed = 0;
    for (const m of medias)
      if (m.createdMs > previous.nowMs || world.mediaUpdatedMs(m) > previous.nowMs) {
        changed++;
        need.add(m.index);
      }
    const visitors = new Set<number>();
    for (let e = previous.visibleEvents; e < visible; e++) {
      need.add(world.evMedia.at(e));
      visitors.add(world.evVisitor.at(e));
    }
    needing = need.size;
    active = visitors.size;
  }
  const parts = {
    medias: listPages(changed),
    // the plan's one /stats/account/by_date over the run's range
    account: 1,
    events: windows.reduce((a, w) => a + listPages(eventsIn(world, w)), 0),
    // per media: /stats/medias/{id}/by_date, /engagement and /stats/medias/{id} (its lifetime stats)
    engagement: 3 * needing,
    visitors: Math.min(active, listPages(visitorsTotal)),
    projects: listPages(changedProjects),
  };
  return {
    total: parts.medias + parts.account + parts.events + parts.engagement + parts.visitors + parts.projects,
    parts,
    mediasNeedingEngagement: needing,
    activeVisitors: active,
  };
}
