// Every query the dashboard runs, one per endpoint, in the SQL that PostgreSQL 17 and Redshift both accept:
// no "::" casts (CAST), no ILIKE / FILTER / RETURNING, integer ratios cast to DOUBLE PRECISION first, rounding
// left to the page, parameters as :name (the Data API's form). Schema and columns: sql/README.md.
import { readFileSync } from 'node:fs';

/** The saved query "campaign performance by week" (sql/queries/), run as the file stands: its rows are the ones
 * test/saved-queries.test.ts holds to the simulator's truth. */
const CAMPAIGNS = readFileSync(new URL('../../sql/queries/campaign_performance_by_week.sql', import.meta.url), 'utf8');
/** The saved query "media lifetime leaders", as the file stands (issue 17: fct_media_snapshot). */
const LIFETIME = readFileSync(new URL('../../sql/queries/media_lifetime_leaders.sql', import.meta.url), 'utf8');

export const QUERIES = {
  /** One row: the account's totals over everything loaded. */
  kpis: `
SELECT e.plays, e.loads, e.play_rate, e.hours_watched, e.first_day, e.last_day,
       v.sessions, v.viewers, v.mean_percent_viewed, m.medias, vis.visitors
FROM (
  SELECT COALESCE(SUM(play_count), 0) AS plays,
         COALESCE(SUM(load_count), 0) AS loads,
         CAST(SUM(play_count) AS DOUBLE PRECISION) / NULLIF(SUM(load_count), 0) AS play_rate,
         COALESCE(SUM(hours_watched), 0) AS hours_watched,
         MIN(snapshot_date) AS first_day,
         MAX(snapshot_date) AS last_day
  FROM analytics.fct_media_engagement
) e
CROSS JOIN (
  SELECT COUNT(*) AS sessions, COUNT(DISTINCT visitor_key) AS viewers, AVG(percent_viewed) AS mean_percent_viewed
  FROM analytics.fct_viewing_event
) v
CROSS JOIN (SELECT COUNT(*) AS medias FROM analytics.dim_media WHERE NOT is_inferred) m
CROSS JOIN (SELECT COUNT(*) AS visitors FROM analytics.dim_visitor) vis`,

  /** One row per day with activity: plays, loads, play rate, hours watched over all medias. */
  daily: `
SELECT snapshot_date AS day,
       SUM(play_count) AS plays,
       SUM(load_count) AS loads,
       CAST(SUM(play_count) AS DOUBLE PRECISION) / NULLIF(SUM(load_count), 0) AS play_rate,
       SUM(hours_watched) AS hours_watched
FROM analytics.fct_media_engagement
GROUP BY snapshot_date
ORDER BY snapshot_date`,

  /** The ten medias with the most plays. */
  topByPlays: `
SELECT f.media_id, COALESCE(m.name, f.media_id) AS name,
       SUM(f.play_count) AS plays, SUM(f.hours_watched) AS hours_watched
FROM analytics.fct_media_engagement f
LEFT JOIN analytics.dim_media m ON m.media_id = f.media_id
GROUP BY f.media_id, m.name
HAVING SUM(f.play_count) > 0
ORDER BY plays DESC, f.media_id
LIMIT 10`,

  /** The ten medias with the most hours watched. */
  topByHours: `
SELECT f.media_id, COALESCE(m.name, f.media_id) AS name,
       SUM(f.play_count) AS plays, SUM(f.hours_watched) AS hours_watched
FROM analytics.fct_media_engagement f
LEFT JOIN analytics.dim_media m ON m.media_id = f.media_id
GROUP BY f.media_id, m.name
HAVING SUM(f.hours_watched) > 0
ORDER BY hours_watched DESC, f.media_id
LIMIT 10`,

  /** The medias that have an engagement curve, most played first (the curve's picker). */
  curveMedias: `
SELECT c.media_id, COALESCE(m.name, c.media_id) AS name, m.duration_seconds, c.engagement,
       COALESCE(p.plays, 0) AS plays
FROM analytics.media_engagement_curve c
LEFT JOIN analytics.dim_media m ON m.media_id = c.media_id
LEFT JOIN (
  SELECT media_id, SUM(play_count) AS plays FROM analytics.fct_media_engagement GROUP BY media_id
) p ON p.media_id = c.media_id
ORDER BY 5 DESC, 2, 1`,

  /** One media's engagement (drop-off) curve: viewers and rewatches per second, JSON arrays. */
  curve: `
SELECT c.media_id, COALESCE(m.name, c.media_id) AS name, m.duration_seconds, c.engagement,
       c.engagement_data, c.rewatch_data
FROM analytics.media_engagement_curve c
LEFT JOIN analytics.dim_media m ON m.media_id = c.media_id
WHERE c.media_id = :media_id`,

  /** Viewing sessions by channel (facebook, youtube, website, other). */
  channels: `
SELECT channel, COUNT(*) AS sessions, COUNT(DISTINCT visitor_key) AS viewers,
       AVG(percent_viewed) AS mean_percent_viewed
FROM analytics.fct_viewing_event
GROUP BY channel
ORDER BY 2 DESC, 1`,

  /** Per ISO week and project (campaign folder): plays, viewers, loads, play rate, hours, plays by channel. */
  campaigns: CAMPAIGNS,

  /** Per media, its latest lifetime snapshot: plays, play rate, hours, visitors, CTA, the plays gained since. */
  lifetime: LIFETIME,

  /** The fifteen countries with the most viewers (visitors with a viewing session). */
  countries: `
SELECT COALESCE(country, 'unknown') AS country, COUNT(DISTINCT visitor_key) AS viewers, COUNT(*) AS sessions
FROM analytics.fct_viewing_event
GROUP BY 1
ORDER BY 2 DESC, 1
LIMIT 15`,

  /** Viewers by device (mobile / desktop, from the visitor's user agent) and platform. */
  devices: `
SELECT CASE WHEN v.is_mobile THEN 'mobile' WHEN NOT v.is_mobile THEN 'desktop' ELSE 'unknown' END AS device,
       COALESCE(v.platform, 'unknown') AS platform,
       COUNT(DISTINCT e.visitor_key) AS viewers,
       COUNT(*) AS sessions
FROM analytics.fct_viewing_event e
LEFT JOIN analytics.dim_visitor v ON v.visitor_key = e.visitor_key
GROUP BY 1, 2
ORDER BY 3 DESC, 1, 2`,

  /** Issue 17: the account's plays per day (Wistia's account figures) from its first load, and their 7-day average. */
  accountTrend: `
SELECT date_key AS day, play_count AS plays, load_count AS loads, hours_watched,
       AVG(CAST(play_count AS DOUBLE PRECISION)) OVER (ORDER BY date_key ROWS BETWEEN 6 PRECEDING AND CURRENT ROW)
         AS plays_7d_avg
FROM analytics.fct_account_daily
WHERE date_key >= (SELECT MIN(date_key) FROM analytics.fct_account_daily WHERE load_count > 0)
ORDER BY date_key`,
} as const;

export type QueryName = keyof typeof QUERIES;
