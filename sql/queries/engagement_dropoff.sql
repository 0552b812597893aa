-- Engagement drop-off: how many viewers are still watching at each quarter of a media?
--
-- Answers:    per media with at least one play, the viewers at its first second and the share of them still
--             watching at 25 %, 50 %, 75 % and the end of the media, from Wistia's engagement curve (one cell
--             per second, at most 1000 cells; a cell counts the plays that reached it, so the shares never rise),
--             and Wistia's lifetime engagement (mean share watched). Sorted by viewers at the start.
--             A quarter's cell is the curve's ceil(cells × q)-th (the first for a one-cell curve).
-- Parameters: none.
-- Reads:      analytics.media_engagement_curve (engagement_data: a JSON array as text, e.g. "[6,6,5,3]"),
--             analytics.dim_media (name, duration).
WITH curves AS (
  SELECT
    c.media_id,
    c.engagement,
    SUBSTRING(c.engagement_data, 2, LENGTH(c.engagement_data) - 2) AS cells,
    LENGTH(c.engagement_data) - LENGTH(REPLACE(c.engagement_data, ',', '')) + 1 AS cell_count
  FROM analytics.media_engagement_curve c
  WHERE LENGTH(c.engagement_data) > 2
),
points AS (
  SELECT
    media_id,
    engagement,
    cell_count,
    CAST(TRIM(SPLIT_PART(cells, ',', 1)) AS INTEGER) AS at_start,
    CAST(TRIM(SPLIT_PART(cells, ',', (cell_count * 25 + 99) / 100)) AS INTEGER) AS at_25,
    CAST(TRIM(SPLIT_PART(cells, ',', (cell_count * 50 + 99) / 100)) AS INTEGER) AS at_50,
    CAST(TRIM(SPLIT_PART(cells, ',', (cell_count * 75 + 99) / 100)) AS INTEGER) AS at_75,
    CAST(TRIM(SPLIT_PART(cells, ',', cell_count)) AS INTEGER) AS at_end
  FROM curves
)
SELECT
  p.media_id,
  m.name,
  ROUND(CAST(m.duration_seconds AS DECIMAL(18, 6)), 1) AS duration_seconds,
  p.cell_count AS curve_cells,
  p.at_start AS viewers_at_start,
  ROUND(CAST(CAST(p.at_25 AS DOUBLE PRECISION) / p.at_start AS DECIMAL(18, 6)), 4) AS retained_at_25,
  ROUND(CAST(CAST(p.at_50 AS DOUBLE PRECISION) / p.at_start AS DECIMAL(18, 6)), 4) AS retained_at_50,
  ROUND(CAST(CAST(p.at_75 AS DOUBLE PRECISION) / p.at_start AS DECIMAL(18, 6)), 4) AS retained_at_75,
  ROUND(CAST(CAST(p.at_end AS DOUBLE PRECISION) / p.at_start AS DECIMAL(18, 6)), 4) AS retained_at_end,
  ROUND(CAST(p.engagement AS DECIMAL(18, 6)), 4) AS engagement
FROM points p
LEFT JOIN analytics.dim_media m ON m.media_id = p.media_id
WHERE p.at_start > 0
ORDER BY p.at_start DESC, p.media_id;
