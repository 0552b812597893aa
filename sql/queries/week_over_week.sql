-- Week over week: plays per ISO week (Monday to Sunday, UTC) and the change against the week before.
--
-- Answers:    one row per ISO week the warehouse has days of (dim_date): its Monday, ISO week number, plays,
--             unique viewers, hours watched, days with plays, and the change in plays against the previous
--             week listed (previous_week_start names it: a week without any data is not listed). change_pct is
--             NULL when the previous week had no plays. The first and the current week may be partial.
-- Parameters: none.
-- Reads:      analytics.dim_date (calendar, ISO week), analytics.fct_viewing_event, analytics.dim_media (duration).
WITH weekly AS (
  SELECT
    CAST(DATE_TRUNC('week', d.date_key) AS DATE) AS week_start,
    MIN(d.iso_week) AS iso_week,
    COUNT(e.event_key) AS plays,
    COUNT(DISTINCT e.visitor_key) AS viewers,
    SUM(e.percent_viewed * COALESCE(m.duration_seconds, 0)) / 3600.0 AS hours_watched,
    COUNT(DISTINCT e.event_date) AS days_with_plays
  FROM analytics.dim_date d
  LEFT JOIN analytics.fct_viewing_event e ON e.event_date = d.date_key
  LEFT JOIN analytics.dim_media m ON m.media_id = e.media_id
  GROUP BY CAST(DATE_TRUNC('week', d.date_key) AS DATE)
)
SELECT
  week_start,
  iso_week,
  plays,
  viewers,
  ROUND(CAST(COALESCE(hours_watched, 0) AS DECIMAL(18, 6)), 2) AS hours_watched,
  days_with_plays,
  LAG(week_start) OVER (ORDER BY week_start) AS previous_week_start,
  LAG(plays) OVER (ORDER BY week_start) AS previous_plays,
  plays - LAG(plays) OVER (ORDER BY week_start) AS change,
  CASE
    WHEN LAG(plays) OVER (ORDER BY week_start) > 0 THEN
      ROUND(CAST(100.0 * (plays - LAG(plays) OVER (ORDER BY week_start))
        / LAG(plays) OVER (ORDER BY week_start) AS DECIMAL(18, 6)), 1)
  END AS change_pct
FROM weekly
ORDER BY week_start;
