-- Media lifetime leaders: each media's lifetime figures as Wistia last reported them (/stats/medias/{id}), with the
-- plays gained since its previous snapshot.
--
-- Answers:    one row per media with a snapshot: its latest snapshot's day, lifetime loads, plays, play rate,
--             hours watched, engagement, unique visitors and CTA impressions, clicks and click rate; the day of
--             the snapshot before it and the plays gained since (NULL for a media snapshotted once). A media is
--             snapshotted on the days a run fetched it (new, updated or with new plays), so "gained" spans the
--             days between two fetches, not one day. Most lifetime plays first, then the media's name.
-- Parameters: none.
-- Reads:      analytics.fct_media_snapshot, analytics.dim_media.
WITH ranked AS (
  SELECT
    s.*,
    ROW_NUMBER() OVER (PARTITION BY s.media_id ORDER BY s.snapshot_date DESC) AS rn,
    LEAD(s.snapshot_date) OVER (PARTITION BY s.media_id ORDER BY s.snapshot_date DESC) AS previous_snapshot_date,
    LEAD(s.play_count) OVER (PARTITION BY s.media_id ORDER BY s.snapshot_date DESC) AS previous_play_count
  FROM analytics.fct_media_snapshot s
)
SELECT
  r.media_id,
  m.name AS media_name,
  r.snapshot_date,
  r.load_count AS lifetime_loads,
  r.play_count AS lifetime_plays,
  r.play_rate,
  r.hours_watched,
  r.engagement,
  r.visitors,
  r.cta_impressions,
  r.cta_clicks,
  r.cta_rate,
  r.previous_snapshot_date,
  r.play_count - r.previous_play_count AS plays_gained
FROM ranked r
LEFT JOIN analytics.dim_media m ON m.media_id = r.media_id
WHERE r.rn = 1
ORDER BY r.play_count DESC, m.name, r.media_id;
