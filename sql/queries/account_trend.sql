-- Account trend: the account's loads, plays, play rate and hours watched per day, with a 7-day moving average and
-- the ISO week's totals (Wistia's own account figures, /stats/account/by_date).
--
-- Answers:    one row per day of the account from its first day with a load to the last day loaded: loads,
--             plays, play rate (plays / loads, NULL without loads), hours watched; the 7-day moving averages of
--             plays and hours and the 7-day play rate (the day and the six before it: the first six days listed
--             average over the days so far); and its ISO week (Monday, week number) with the week's loads, plays,
--             play rate and hours. fct_account_daily holds every day of each run's range (empty days too, which
--             dim_date does not list: the week is computed here), so seven rows are seven days. The last day is
--             as far as the last run saw it (a partial "today"; the next run replaces it with the complete day).
-- Parameters: none.
-- Reads:      analytics.fct_account_daily.
WITH days AS (
  SELECT
    a.date_key,
    CAST(DATE_TRUNC('week', a.date_key) AS DATE) AS week_start,
    -- the ISO 8601 week number in both engines
    CAST(EXTRACT(WEEK FROM a.date_key) AS INTEGER) AS iso_week,
    a.load_count,
    a.play_count,
    a.hours_watched
  FROM analytics.fct_account_daily a
  WHERE a.date_key >= (SELECT MIN(date_key) FROM analytics.fct_account_daily WHERE load_count > 0)
),
trend AS (
  SELECT
    days.*,
    AVG(1.0 * play_count) OVER (ORDER BY date_key ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS plays_7d,
    AVG(hours_watched) OVER (ORDER BY date_key ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS hours_7d,
    SUM(play_count) OVER (ORDER BY date_key ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS plays_sum_7d,
    SUM(load_count) OVER (ORDER BY date_key ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS loads_sum_7d,
    SUM(load_count) OVER (PARTITION BY week_start) AS week_loads,
    SUM(play_count) OVER (PARTITION BY week_start) AS week_plays,
    SUM(hours_watched) OVER (PARTITION BY week_start) AS week_hours
  FROM days
)
SELECT
  date_key AS day,
  load_count AS loads,
  play_count AS plays,
  CASE WHEN load_count > 0 THEN ROUND(CAST(1.0 * play_count / load_count AS DECIMAL(18, 6)), 4) END AS play_rate,
  ROUND(CAST(hours_watched AS DECIMAL(18, 6)), 2) AS hours_watched,
  ROUND(CAST(plays_7d AS DECIMAL(18, 6)), 2) AS plays_7d_avg,
  ROUND(CAST(hours_7d AS DECIMAL(18, 6)), 2) AS hours_7d_avg,
  CASE WHEN loads_sum_7d > 0 THEN ROUND(CAST(1.0 * plays_sum_7d / loads_sum_7d AS DECIMAL(18, 6)), 4) END
    AS play_rate_7d,
  week_start,
  iso_week,
  week_loads,
  week_plays,
  CASE WHEN week_loads > 0 THEN ROUND(CAST(1.0 * week_plays / week_loads AS DECIMAL(18, 6)), 4) END
    AS week_play_rate,
  ROUND(CAST(week_hours AS DECIMAL(18, 6)), 2) AS week_hours
FROM trend
ORDER BY date_key;
