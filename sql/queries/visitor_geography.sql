-- Visitor geography: where do the plays come from, and on which kind of device?
--
-- Answers:    one row per country (the viewing event's, from Wistia's IP geolocation; 'unknown' when empty):
--             plays, unique viewers, hours watched, its share of all plays, and the plays split by the viewer's
--             device (dim_visitor.is_mobile: mobile, desktop, unknown when the visitor is not known yet).
--             Sorted by plays.
-- Parameters: none (all days the warehouse holds). For a period, filter on e.event_date.
-- Reads:      analytics.fct_viewing_event (country), analytics.dim_visitor (is_mobile),
--             analytics.dim_media (duration, for hours).
SELECT
  COALESCE(NULLIF(TRIM(e.country), ''), 'unknown') AS country,
  COUNT(*) AS plays,
  COUNT(DISTINCT e.visitor_key) AS viewers,
  ROUND(CAST(SUM(e.percent_viewed * COALESCE(m.duration_seconds, 0)) / 3600.0 AS DECIMAL(18, 6)), 2) AS hours_watched,
  ROUND(CAST(CAST(COUNT(*) AS DOUBLE PRECISION) / SUM(COUNT(*)) OVER () AS DECIMAL(18, 6)), 4) AS share_of_plays,
  SUM(CASE WHEN v.is_mobile THEN 1 ELSE 0 END) AS mobile_plays,
  SUM(CASE WHEN NOT v.is_mobile THEN 1 ELSE 0 END) AS desktop_plays,
  SUM(CASE WHEN v.is_mobile IS NULL THEN 1 ELSE 0 END) AS unknown_device_plays
FROM analytics.fct_viewing_event e
LEFT JOIN analytics.dim_visitor v ON v.visitor_key = e.visitor_key
LEFT JOIN analytics.dim_media m ON m.media_id = e.media_id
GROUP BY COALESCE(NULLIF(TRIM(e.country), ''), 'unknown')
ORDER BY plays DESC, country;
