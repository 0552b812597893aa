"""Explicit schemas of bronze: the envelope every object shares, and each entity's records.

Records are read as raw JSON text first (the envelope declares them as strings), then parsed with the schema
below: a field of the wrong type becomes NULL in the parsed struct (Spark keeps the rest), which is how a
type mismatch is detected and reported, and unknown top-level keys are listed as drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import types as T

S, D, L, B = T.StringType(), T.DoubleType(), T.LongType(), T.BooleanType()


def struct(**fields: T.DataType) -> T.StructType:
    return T.StructType([T.StructField(k, v) for k, v in fields.items()])


ENVELOPE = struct(
    entity=S,
    runId=S,
    ingestDate=S,
    scope=struct(media=S, window=struct(start=S, end=S), scan=B, lookup=S),
    page=L,
    fetchedAt=S,
    count=L,
    records=T.ArrayType(S),
)

USER_AGENT = struct(browser=S, browser_version=S, platform=S, mobile=B)


@dataclass(frozen=True)
class EntitySpec:
    """How to parse and check one entity's records."""

    schema: T.StructType
    #: the natural key's field (quarantined when missing)
    key: str | None
    #: fields that must be present and of the right type (quarantined otherwise)
    required: tuple[str, ...] = ()
    #: fields known but optional (a wrong type is drift, the value becomes NULL)
    extra_known: tuple[str, ...] = field(default_factory=tuple)
    #: numeric fields with a valid range (inclusive); a value outside it is quarantined
    ranges: tuple[tuple[str, float, float], ...] = ()
    #: string fields holding a time ("timestamp") or a date ("date"): a required one that does not parse is
    #: quarantined, an optional one becomes NULL (drift); a form other than the documented ones is coerced (drift)
    times: tuple[tuple[str, str], ...] = ()

    @property
    def known(self) -> set[str]:
        return set(self.schema.fieldNames()) | set(self.extra_known)


MEDIAS = EntitySpec(
    schema=struct(
        id=L,
        hashed_id=S,
        name=S,
        type=S,
        archived=B,
        created=S,
        updated=S,
        duration=D,
        status=S,
        section=S,
        thumbnail=struct(url=S, width=L, height=L),
        project=struct(id=L, name=S, hashed_id=S, hashedId=S),
        # the dated (modern) API's name for a project (functions/shared/wistia/api-version.ts)
        folder=struct(id=L, name=S, hashed_id=S, hashedId=S),
        tags=T.ArrayType(struct(name=S)),
    ),
    key="hashed_id",
    required=("hashed_id", "updated"),
    times=(("created", "timestamp"), ("updated", "timestamp")),
    extra_known=("description", "progress", "embedCode", "assets", "subfolder", "cursor"),
)

# GET /projects (v1, camelCase keys; OAS-V1 `Project`): the numeric id is the key medias refer to
PROJECTS = EntitySpec(
    schema=struct(
        id=L,
        hashedId=S,
        name=S,
        description=S,
        mediaCount=L,
        created=S,
        updated=S,
        public=B,
        # the dated API's /folders spells its keys in snake_case (functions/shared/wistia/api-version.ts)
        hashed_id=S,
        media_count=L,
    ),
    key="id",
    required=("id", "updated"),
    times=(("created", "timestamp"), ("updated", "timestamp")),
    ranges=(("mediaCount", 0, float("inf")), ("media_count", 0, float("inf"))),
    extra_known=(
        "publicId",
        "anonymousCanUpload",
        "anonymousCanDownload",
        "public_id",
        "anonymous_can_upload",
        "anonymous_can_download",
    ),
)

EVENTS = EntitySpec(
    schema=struct(
        received_at=S,
        event_key=S,
        visitor_key=S,
        embed_url=S,
        percent_viewed=D,
        ip=S,
        org=S,
        country=S,
        region=S,
        city=S,
        lat=D,
        lon=D,
        email=S,
        media_id=S,
        media_name=S,
        conversion_type=S,
        user_agent_details=USER_AGENT,
    ),
    key="event_key",
    required=("event_key", "received_at", "media_id", "visitor_key", "percent_viewed"),
    times=(("received_at", "timestamp"),),
    ranges=(("percent_viewed", 0.0, 1.0),),
    extra_known=("media_url", "iframe_heatmap_url", "thumbnail", "conversion_data", "attributes"),
)

VISITORS = EntitySpec(
    schema=struct(
        visitor_key=S,
        created_at=S,
        last_active_at=S,
        last_event_key=S,
        load_count=L,
        play_count=L,
        identifying_event_key=S,
        visitor_identity=struct(name=S, email=S, org=struct(name=S, title=S)),
        user_agent_details=USER_AGENT,
    ),
    key="visitor_key",
    required=("visitor_key",),
    times=(("created_at", "timestamp"), ("last_active_at", "timestamp")),
    ranges=(("load_count", 0, float("inf")), ("play_count", 0, float("inf"))),
)

# media_stats objects hold /stats/medias/{id}/by_date rows; the media comes from the object's scope
MEDIA_STATS = EntitySpec(
    schema=struct(date=S, load_count=L, play_count=L, hours_watched=D),
    key="date",
    required=("date", "load_count", "play_count", "hours_watched"),
    times=(("date", "date"),),
    ranges=(("load_count", 0, float("inf")), ("play_count", 0, float("inf")), ("hours_watched", 0, float("inf"))),
)

MEDIA_ENGAGEMENT = EntitySpec(
    schema=struct(engagement=D, engagement_data=T.ArrayType(L), rewatch_data=T.ArrayType(L)),
    key=None,
    required=("engagement_data",),
)

# issue 17: account_stats objects hold /stats/account/by_date rows: the account's days, in the row shape of a media's
# by_date (../shared/wistia-api README 2.5), so checked the same way (no media in the scope)
ACCOUNT_STATS = MEDIA_STATS

#: one of /stats/medias/{id}'s actions (OAS-EDGE adds text and url)
ACTION = struct(type=S, action_count=L, impression_count=L, rate=D, text=S, url=S)

# media_lifetime objects hold one /stats/medias/{id} body (lifetime totals); the media comes from the object's scope
MEDIA_LIFETIME = EntitySpec(
    schema=struct(
        load_count=L,
        play_count=L,
        play_rate=D,
        hours_watched=D,
        engagement=D,
        visitors=L,
        actions=T.ArrayType(ACTION),
    ),
    key=None,
    required=("load_count", "play_count"),
    ranges=(
        ("load_count", 0, float("inf")),
        ("play_count", 0, float("inf")),
        ("play_rate", 0.0, 1.0),
        ("hours_watched", 0, float("inf")),
        ("engagement", 0.0, 1.0),
        ("visitors", 0, float("inf")),
    ),
)

ENTITIES: dict[str, EntitySpec] = {
    "medias": MEDIAS,
    "events": EVENTS,
    "visitors": VISITORS,
    "media_stats": MEDIA_STATS,
    "media_engagement": MEDIA_ENGAGEMENT,
    "projects": PROJECTS,
    "account_stats": ACCOUNT_STATS,
    "media_lifetime": MEDIA_LIFETIME,
}
