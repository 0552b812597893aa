-- The analytics star schema, Redshift Serverless variant. Same tables, columns and keys as postgres.sql.
-- Keys are informational in Redshift: the load (dedup + version-guarded MERGE) is what keeps them true.
-- Small dimensions DISTSTYLE ALL; facts distributed on media_id and sorted by date.
-- Columns starting with "_" are lineage (which run and fetch a row came from), not business data.
CREATE SCHEMA IF NOT EXISTS analytics;

-- dim_date: one row per calendar day that any fact refers to.
CREATE TABLE IF NOT EXISTS analytics.dim_date (
  date_key      DATE PRIMARY KEY,
  year          SMALLINT NOT NULL,
  quarter       SMALLINT NOT NULL,
  month         SMALLINT NOT NULL,
  month_name    VARCHAR(9) NOT NULL,
  day           SMALLINT NOT NULL,
  day_of_week   SMALLINT NOT NULL,   -- 1 = Monday … 7 = Sunday (ISO)
  day_name      VARCHAR(9) NOT NULL,
  iso_week      SMALLINT NOT NULL,
  is_weekend    BOOLEAN NOT NULL
) DISTSTYLE ALL SORTKEY (date_key);

-- dim_project: one row per project (Wistia's "folder" in the dated API; natural key: the numeric id medias refer
-- to), its latest state as GET /projects lists it. media_count is Wistia's count as of the project's last change.
CREATE TABLE IF NOT EXISTS analytics.dim_project (
  project_id    BIGINT PRIMARY KEY,               -- Wistia's numeric project id (media.project.id)
  hashed_id     VARCHAR(40),
  name          VARCHAR(65535),
  description   VARCHAR(65535),
  created_at    TIMESTAMPTZ,
  updated_at    TIMESTAMPTZ,
  media_count   BIGINT,
  is_public     BOOLEAN,
  is_inferred   BOOLEAN NOT NULL,                 -- named by a media before the projects listing brought it
  _fetched_at   TIMESTAMPTZ NOT NULL,
  _run_id       VARCHAR(80) NOT NULL
) DISTSTYLE ALL SORTKEY (project_id);

-- dim_media: one row per media (natural key: Wistia's hashed_id), its latest metadata.
CREATE TABLE IF NOT EXISTS analytics.dim_media (
  media_id          VARCHAR(40) PRIMARY KEY,      -- hashed_id
  media_numeric_id  BIGINT,
  name              VARCHAR(65535),
  media_type        VARCHAR(32),                  -- Video | Audio | Image | …
  status            VARCHAR(16),
  archived          BOOLEAN,
  duration_seconds  DOUBLE PRECISION,
  project_id        BIGINT REFERENCES analytics.dim_project (project_id), -- -> dim_project (informational)
  project_name      VARCHAR(65535),
  project_hashed_id VARCHAR(40),
  section           VARCHAR(65535),
  tags              VARCHAR(65535),                         -- comma separated
  thumbnail_url     VARCHAR(65535),
  channel_hint      VARCHAR(16),                  -- facebook | youtube | website from the media's name, else NULL
  created_at        TIMESTAMPTZ,
  updated_at        TIMESTAMPTZ,
  is_inferred       BOOLEAN NOT NULL,             -- referenced by a fact before its metadata arrived
  _fetched_at       TIMESTAMPTZ NOT NULL,
  _run_id           VARCHAR(80) NOT NULL
) DISTSTYLE ALL SORTKEY (media_id);

-- dim_visitor: one row per visitor (natural key: visitor_key), its latest state.
CREATE TABLE IF NOT EXISTS analytics.dim_visitor (
  visitor_key           VARCHAR(80) PRIMARY KEY,
  name                  VARCHAR(65535),
  email                 VARCHAR(65535),                     -- SHA-256 when PII hashing is on
  org_name              VARCHAR(65535),
  org_title             VARCHAR(65535),
  browser               VARCHAR(64),
  browser_version       VARCHAR(32),
  platform              VARCHAR(64),
  is_mobile             BOOLEAN,
  created_at            TIMESTAMPTZ,
  last_active_at        TIMESTAMPTZ,
  load_count            BIGINT,
  play_count            BIGINT,
  last_event_key        VARCHAR(80),
  identifying_event_key VARCHAR(80),
  is_inferred           BOOLEAN NOT NULL,
  _fetched_at           TIMESTAMPTZ NOT NULL,
  _run_id               VARCHAR(80) NOT NULL
) DISTSTYLE KEY DISTKEY (visitor_key) SORTKEY (visitor_key);

-- fct_viewing_event: one row per viewing session (natural key: event_key).
CREATE TABLE IF NOT EXISTS analytics.fct_viewing_event (
  event_key       VARCHAR(80) PRIMARY KEY,
  media_id        VARCHAR(40) NOT NULL,           -- -> dim_media
  visitor_key     VARCHAR(80) NOT NULL,           -- -> dim_visitor
  event_date      DATE NOT NULL,                  -- -> dim_date (UTC day of received_at)
  received_at     TIMESTAMPTZ NOT NULL,
  percent_viewed  DOUBLE PRECISION NOT NULL,      -- 0..1
  ip              VARCHAR(64),                    -- SHA-256 when PII hashing is on
  org             VARCHAR(65535),
  country         VARCHAR(8),
  region          VARCHAR(65535),
  city            VARCHAR(65535),
  lat             DOUBLE PRECISION,
  lon             DOUBLE PRECISION,
  embed_url       VARCHAR(65535),
  channel         VARCHAR(16) NOT NULL,           -- facebook | youtube | website | other
  conversion_type VARCHAR(64),
  media_name      VARCHAR(65535),                           -- as the event reported it
  _fetched_at     TIMESTAMPTZ NOT NULL,
  _run_id         VARCHAR(80) NOT NULL
) DISTSTYLE KEY DISTKEY (media_id) SORTKEY (event_date, media_id);

-- fct_media_engagement: one row per media per day with activity (snapshot_date = the UTC day the measures
-- describe). load_count, play_count, hours_watched from Wistia's stats by date; play_rate = plays / loads;
-- engagement = mean percent_viewed and visitors = distinct visitors of that day's viewing events.
CREATE TABLE IF NOT EXISTS analytics.fct_media_engagement (
  media_id       VARCHAR(40) NOT NULL,            -- -> dim_media
  snapshot_date  DATE NOT NULL,                   -- -> dim_date
  load_count     BIGINT NOT NULL,
  play_count     BIGINT NOT NULL,
  play_rate      DOUBLE PRECISION,                -- 0..1, NULL without loads
  hours_watched  DOUBLE PRECISION NOT NULL,
  engagement     DOUBLE PRECISION,                -- 0..1, NULL without plays
  visitors       BIGINT NOT NULL,
  _fetched_at    TIMESTAMPTZ NOT NULL,
  _run_id        VARCHAR(80) NOT NULL,
  PRIMARY KEY (media_id, snapshot_date)
) DISTSTYLE KEY DISTKEY (media_id) SORTKEY (snapshot_date, media_id);

-- media_engagement_curve: one row per media, its latest per-second engagement curve (JSON arrays).
CREATE TABLE IF NOT EXISTS analytics.media_engagement_curve (
  media_id         VARCHAR(40) PRIMARY KEY,
  engagement       DOUBLE PRECISION,
  engagement_data  VARCHAR(65535) NOT NULL,                 -- JSON array: viewers per cell (one cell a second, ≤ 1000)
  rewatch_data     VARCHAR(65535) NOT NULL,
  _fetched_at      TIMESTAMPTZ NOT NULL,
  _run_id          VARCHAR(80) NOT NULL
) DISTSTYLE ALL;

-- Issue 17: the account's days and each media's lifetime stats.
-- fct_account_daily: one row per day of the account (date_key = the UTC day), from Wistia's
-- /stats/account/by_date: load_count, play_count, hours_watched as served (days without activity included: a
-- trend's zero is a fact); play_rate = plays / loads. Each run fetches its own days again (from the day before
-- the events watermark), so a day fetched while still partial is replaced by its complete figures.
CREATE TABLE IF NOT EXISTS analytics.fct_account_daily (
  date_key       DATE PRIMARY KEY,                -- -> dim_date on days with activity (not on empty days)
  load_count     BIGINT NOT NULL,
  play_count     BIGINT NOT NULL,
  play_rate      DOUBLE PRECISION,                -- 0..1, NULL without loads
  hours_watched  DOUBLE PRECISION NOT NULL,
  _fetched_at    TIMESTAMPTZ NOT NULL,
  _run_id        VARCHAR(80) NOT NULL
) DISTSTYLE ALL SORTKEY (date_key);

-- fct_media_snapshot: one row per media per day it was fetched (snapshot_date = the run's day), its lifetime
-- totals as Wistia's /stats/medias/{id} served them then. cta_* sum the body's actions (NULL when the body has
-- no actions: real bodies omit the key); actions keeps them all as a JSON array.
CREATE TABLE IF NOT EXISTS analytics.fct_media_snapshot (
  media_id         VARCHAR(40) NOT NULL,          -- -> dim_media
  snapshot_date    DATE NOT NULL,                 -- -> dim_date
  load_count       BIGINT NOT NULL,
  play_count       BIGINT NOT NULL,
  play_rate        DOUBLE PRECISION,              -- 0..1
  hours_watched    DOUBLE PRECISION,
  engagement       DOUBLE PRECISION,              -- 0..1, mean fraction viewed
  visitors         BIGINT,                        -- unique visitors, lifetime
  cta_impressions  BIGINT,
  cta_clicks       BIGINT,
  cta_rate         DOUBLE PRECISION,              -- clicks / impressions, NULL without impressions
  actions          VARCHAR(65535),               -- JSON array of {type, action_count, impression_count, rate, …}
  _fetched_at      TIMESTAMPTZ NOT NULL,
  _run_id          VARCHAR(80) NOT NULL,
  PRIMARY KEY (media_id, snapshot_date)
) DISTSTYLE KEY DISTKEY (media_id) SORTKEY (snapshot_date, media_id);

-- quarantine: records the transform could not use, with why and where they came from.
CREATE TABLE IF NOT EXISTS analytics.quarantine (
  source_object  VARCHAR(65535) NOT NULL,
  record_index   INTEGER NOT NULL,
  entity         VARCHAR(32) NOT NULL,
  natural_key    VARCHAR(65535),
  reason         VARCHAR(65535) NOT NULL,
  record         VARCHAR(65535) NOT NULL,
  _run_id        VARCHAR(80) NOT NULL,
  PRIMARY KEY (source_object, record_index)
) DISTSTYLE EVEN SORTKEY (_run_id);

-- schema_drift: fields the API sent that the model does not know, or sent with an unexpected type.
CREATE TABLE IF NOT EXISTS analytics.schema_drift (
  _run_id   VARCHAR(80) NOT NULL,
  entity    VARCHAR(32) NOT NULL,
  field     VARCHAR(128) NOT NULL,
  kind      VARCHAR(16) NOT NULL,                 -- new-field | type | coerced
  records   BIGINT NOT NULL,
  PRIMARY KEY (_run_id, entity, field, kind)
) DISTSTYLE ALL;

-- load_audit: what each run's load did to each table, and the quality checks it passed.
CREATE TABLE IF NOT EXISTS analytics.load_audit (
  _run_id      VARCHAR(80) NOT NULL,
  table_name   VARCHAR(64) NOT NULL,
  staged       BIGINT NOT NULL,
  inserted     BIGINT NOT NULL,
  updated      BIGINT NOT NULL,
  unchanged    BIGINT NOT NULL,
  loaded_at    TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (_run_id, table_name)
) DISTSTYLE ALL;

-- record_audit: what each entity's records became in each run (issue 12), the load's own accounting:
-- served (what the API returned) = loaded + quarantined + deduplicated (fetched again in the run) + skipped
-- (by_date days without any activity, which the star leaves out).
CREATE TABLE IF NOT EXISTS analytics.record_audit (
  _run_id      VARCHAR(80) NOT NULL,
  entity       VARCHAR(32) NOT NULL,
  served       BIGINT NOT NULL,
  loaded       BIGINT NOT NULL,
  quarantined  BIGINT NOT NULL,
  deduplicated BIGINT NOT NULL,
  skipped      BIGINT NOT NULL,
  loaded_at    TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (_run_id, entity)
) DISTSTYLE ALL;

-- Stage tables: each load COPYs the run's files into these (cleared first), publishes them in one transaction
-- (guard, audit row and MERGE per table; the run's quarantine and drift rows replaced), then clears them
-- (pyspark/wistia_pipeline/load/sql.py). Same columns as their targets, no keys. Created here with the rest,
-- by the deploy's warehouse bootstrap on Redshift: the Glue job runs no DDL there.
CREATE TABLE IF NOT EXISTS analytics.stg_dim_date (LIKE analytics.dim_date);
CREATE TABLE IF NOT EXISTS analytics.stg_dim_project (LIKE analytics.dim_project);
CREATE TABLE IF NOT EXISTS analytics.stg_dim_media (LIKE analytics.dim_media);
CREATE TABLE IF NOT EXISTS analytics.stg_dim_visitor (LIKE analytics.dim_visitor);
CREATE TABLE IF NOT EXISTS analytics.stg_fct_viewing_event (LIKE analytics.fct_viewing_event);
CREATE TABLE IF NOT EXISTS analytics.stg_fct_media_engagement (LIKE analytics.fct_media_engagement);
CREATE TABLE IF NOT EXISTS analytics.stg_media_engagement_curve (LIKE analytics.media_engagement_curve);
CREATE TABLE IF NOT EXISTS analytics.stg_fct_account_daily (LIKE analytics.fct_account_daily);
CREATE TABLE IF NOT EXISTS analytics.stg_fct_media_snapshot (LIKE analytics.fct_media_snapshot);
CREATE TABLE IF NOT EXISTS analytics.stg_quarantine (LIKE analytics.quarantine);
CREATE TABLE IF NOT EXISTS analytics.stg_schema_drift (LIKE analytics.schema_drift);
