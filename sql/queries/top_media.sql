-- Top media: which media are played the most, and which are watched the longest?
--
-- Answers:    the 10 media with the most plays over all the days the warehouse holds, with their loads,
--             play rate (plays / loads), hours watched, unique viewers and mean share of the media watched;
--             rank_by_hours is each one's place when all media are ranked by hours watched instead.
-- Parameters: none. To look at a period only, add e.g. WHERE f.snapshot_date >= DATE '2026-01-01' to `stats`
--             (and WHERE e.event_date >= … to `viewing`).
-- Reads:      analytics.fct_media_engagement (plays, loads, hours by media and day: Wistia's stats),
--             analytics.fct_viewing_event (viewers, percent viewed), analytics.dim_media (name, type).
WITH stats AS (
  SELECT
    f.media_id,
    SUM(f.play_count) AS plays,
    SUM(f.load_count) AS loads,
    SUM(f.hours_watched) AS hours_watched
  FROM analytics.fct_media_engagement f
  GROUP BY f.media_id
),
viewing AS (
  SELECT
    e.media_id,
    COUNT(DISTINCT e.visitor_key) AS viewers,
    AVG(e.percent_viewed) AS avg_percent_viewed
  FROM analytics.fct_viewing_event e
  GROUP BY e.media_id
),
ranked AS (
  SELECT
    s.media_id,
    s.plays,
    s.loads,
    s.hours_watched,
    COALESCE(v.viewers, 0) AS viewers,
    v.avg_percent_viewed,
    RANK() OVER (ORDER BY s.plays DESC) AS rank_by_plays,
    RANK() OVER (ORDER BY s.hours_watched DESC) AS rank_by_hours
  FROM stats s
  LEFT JOIN viewing v ON v.media_id = s.media_id
)
SELECT
  r.rank_by_plays,
  r.rank_by_hours,
  r.media_id,
  m.name,
  m.media_type,
  r.plays,
  r.loads,
  ROUND(CAST(CAST(r.plays AS DOUBLE PRECISION) / NULLIF(r.loads, 0) AS DECIMAL(18, 6)), 4) AS play_rate,
  ROUND(CAST(r.hours_watched AS DECIMAL(18, 6)), 2) AS hours_watched,
  r.viewers,
  ROUND(CAST(r.avg_percent_viewed AS DECIMAL(18, 6)), 4) AS avg_percent_viewed
FROM ranked r
JOIN analytics.dim_media m ON m.media_id = r.media_id
ORDER BY r.plays DESC, r.hours_watched DESC, r.media_id
LIMIT 10;
