-- Campaign performance by week: how did each project (campaign folder) do, week by week, and on which channels?
--
-- Answers:    one row per ISO week (Monday to Sunday, UTC) and project with activity that week: the project (its id,
--             hashed id and name from dim_project; medias without a project are "(no project)"), plays (viewing
--             sessions), unique viewers, loads (Wistia's stats by date of the project's medias), play rate
--             (plays / loads, NULL without loads), hours watched (share of the media watched x its duration), and
--             the plays split by the viewing event's channel (sql/README.md: facebook, youtube, website, other).
--             Newest week first; within a week, most plays first.
-- Parameters: none (all weeks the warehouse holds). For a period, filter `events` on e.event_date and `loads` on
--             f.snapshot_date.
-- Reads:      analytics.fct_viewing_event, analytics.fct_media_engagement, analytics.dim_media (project, duration),
--             analytics.dim_project.
WITH events AS (
  SELECT
    CAST(DATE_TRUNC('week', e.event_date) AS DATE) AS week_start,
    COALESCE(m.project_id, -1) AS project_key,
    e.visitor_key,
    e.channel,
    e.percent_viewed * COALESCE(m.duration_seconds, 0) / 3600.0 AS hours_watched
  FROM analytics.fct_viewing_event e
  LEFT JOIN analytics.dim_media m ON m.media_id = e.media_id
),
plays AS (
  SELECT
    week_start,
    project_key,
    COUNT(*) AS plays,
    COUNT(DISTINCT visitor_key) AS viewers,
    SUM(hours_watched) AS hours_watched,
    SUM(CASE WHEN channel = 'facebook' THEN 1 ELSE 0 END) AS facebook_plays,
    SUM(CASE WHEN channel = 'youtube' THEN 1 ELSE 0 END) AS youtube_plays,
    SUM(CASE WHEN channel = 'website' THEN 1 ELSE 0 END) AS website_plays,
    SUM(CASE WHEN channel = 'other' THEN 1 ELSE 0 END) AS other_plays
  FROM events
  GROUP BY week_start, project_key
),
loads AS (
  SELECT
    CAST(DATE_TRUNC('week', f.snapshot_date) AS DATE) AS week_start,
    COALESCE(m.project_id, -1) AS project_key,
    SUM(f.load_count) AS loads
  FROM analytics.fct_media_engagement f
  LEFT JOIN analytics.dim_media m ON m.media_id = f.media_id
  GROUP BY CAST(DATE_TRUNC('week', f.snapshot_date) AS DATE), COALESCE(m.project_id, -1)
),
weeks AS (
  SELECT week_start, project_key FROM plays
  UNION
  SELECT week_start, project_key FROM loads
)
SELECT
  w.week_start,
  p.project_id,
  p.hashed_id AS project_hashed_id,
  CASE WHEN w.project_key = -1 THEN '(no project)' ELSE COALESCE(p.name, CAST(w.project_key AS VARCHAR(20))) END
    AS project_name,
  COALESCE(pl.plays, 0) AS plays,
  COALESCE(pl.viewers, 0) AS viewers,
  COALESCE(l.loads, 0) AS loads,
  ROUND(CAST(CAST(COALESCE(pl.plays, 0) AS DOUBLE PRECISION) / NULLIF(l.loads, 0) AS DECIMAL(18, 6)), 4) AS play_rate,
  ROUND(CAST(COALESCE(pl.hours_watched, 0) AS DECIMAL(18, 6)), 2) AS hours_watched,
  COALESCE(pl.facebook_plays, 0) AS facebook_plays,
  COALESCE(pl.youtube_plays, 0) AS youtube_plays,
  COALESCE(pl.website_plays, 0) AS website_plays,
  COALESCE(pl.other_plays, 0) AS other_plays
FROM weeks w
LEFT JOIN plays pl ON pl.week_start = w.week_start AND pl.project_key = w.project_key
LEFT JOIN loads l ON l.week_start = w.week_start AND l.project_key = w.project_key
LEFT JOIN analytics.dim_project p ON p.project_id = w.project_key
ORDER BY w.week_start DESC, 5 DESC, 4, 2;
