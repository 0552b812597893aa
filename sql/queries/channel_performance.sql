-- Channel performance: how do Facebook, YouTube, the company website and other embeds compare?
--
-- Answers:    one row per channel (always the four: facebook, youtube, website, other) with plays (viewing
--             sessions), unique viewers, hours watched, mean share of the media watched, its share of all plays,
--             loads and play rate. The channel is the viewing event's (sql/README.md: embed host, else
--             utm_source, else the company's hosts).
--             Loads: Wistia counts loads per media and day, not per embed, so each media-day's loads are shared
--             out to the channels in proportion to that media-day's plays (an estimate; the four add up to the
--             loads of every media-day with plays). Play rate = plays / those loads.
-- Parameters: none (all days the warehouse holds). For a period, filter `events` on e.event_date.
-- Reads:      analytics.fct_viewing_event, analytics.dim_media (duration, for hours),
--             analytics.fct_media_engagement (loads by media and day).
WITH events AS (
  SELECT
    e.media_id,
    e.event_date,
    e.visitor_key,
    e.channel,
    e.percent_viewed,
    e.percent_viewed * COALESCE(m.duration_seconds, 0) / 3600.0 AS hours_watched
  FROM analytics.fct_viewing_event e
  LEFT JOIN analytics.dim_media m ON m.media_id = e.media_id
),
media_day AS (
  SELECT media_id, event_date, COUNT(*) AS plays
  FROM events
  GROUP BY media_id, event_date
),
channel_media_day AS (
  SELECT media_id, event_date, channel, COUNT(*) AS plays
  FROM events
  GROUP BY media_id, event_date, channel
),
channel_loads AS (
  SELECT
    c.channel,
    SUM(CAST(f.load_count AS DOUBLE PRECISION) * c.plays / d.plays) AS loads
  FROM channel_media_day c
  JOIN media_day d ON d.media_id = c.media_id AND d.event_date = c.event_date
  JOIN analytics.fct_media_engagement f ON f.media_id = c.media_id AND f.snapshot_date = c.event_date
  GROUP BY c.channel
),
by_channel AS (
  SELECT
    channel,
    COUNT(*) AS plays,
    COUNT(DISTINCT visitor_key) AS viewers,
    SUM(hours_watched) AS hours_watched,
    AVG(percent_viewed) AS avg_percent_viewed
  FROM events
  GROUP BY channel
),
channels AS (
  SELECT 'facebook' AS channel, 1 AS sort_order
  UNION ALL SELECT 'youtube', 2
  UNION ALL SELECT 'website', 3
  UNION ALL SELECT 'other', 4
)
SELECT
  ch.channel,
  COALESCE(b.plays, 0) AS plays,
  COALESCE(b.viewers, 0) AS viewers,
  ROUND(CAST(COALESCE(b.hours_watched, 0) AS DECIMAL(18, 6)), 2) AS hours_watched,
  ROUND(CAST(b.avg_percent_viewed AS DECIMAL(18, 6)), 4) AS avg_percent_viewed,
  ROUND(CAST(CAST(COALESCE(b.plays, 0) AS DOUBLE PRECISION) / NULLIF(SUM(b.plays) OVER (), 0) AS DECIMAL(18, 6)), 4)
    AS share_of_plays,
  ROUND(CAST(COALESCE(l.loads, 0) AS DECIMAL(18, 6)), 1) AS loads,
  ROUND(CAST(b.plays / NULLIF(l.loads, 0) AS DECIMAL(18, 6)), 4) AS play_rate
FROM channels ch
LEFT JOIN by_channel b ON b.channel = ch.channel
LEFT JOIN channel_loads l ON l.channel = ch.channel
ORDER BY ch.sort_order;
