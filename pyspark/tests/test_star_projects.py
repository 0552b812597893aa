"""dim_project (GET /projects) and the inferred projects that keep dim_media.project_id a real foreign key, from
literal records, each compared with a literal expected frame."""

from pyspark.testing import assertDataFrameEqual
from test_star import frame, media, usable, utc

from wistia_pipeline import schemas
from wistia_pipeline.model import DIM_PROJECT
from wistia_pipeline.transforms import star, validate

DIM_PROJECT_DDL = (
    "project_id bigint, hashed_id string, name string, description string, created_at timestamp, "
    "updated_at timestamp, media_count bigint, is_public boolean, is_inferred boolean, _fetched_at timestamp, "
    "_run_id string"
)


def project(pid, updated, **kw):
    return {
        "id": pid,
        "hashedId": f"h{pid}",
        "name": f"Project {pid}",
        "description": f"About {pid}",
        "mediaCount": 2,
        "created": "2026-01-01T00:00:00+00:00",
        "updated": updated,
        "public": False,
        "publicId": None,
        "anonymousCanUpload": False,
        "anonymousCanDownload": False,
        **kw,
    }


def test_dim_project_keeps_the_latest_version_per_id(records, spark):
    df = star.dim_project(
        usable(
            records,
            "projects",
            {
                "entity": "projects",
                "fetched": "2026-11-20T06:00:00.000Z",
                "records": [
                    project(5, "2026-11-01T00:00:00+00:00"),
                    project(6, "2026-10-01T00:00:00+00:00", description=None, public=True, publicId="4bD"),
                ],
            },
            {
                # the next day's listing (the overlap lands 6 again, unchanged; 5 got a media)
                "entity": "projects",
                "fetched": "2026-11-21T06:00:00.000Z",
                "records": [
                    project(5, "2026-11-20T12:00:00+00:00", mediaCount=3, name="Paid Social"),
                    project(6, "2026-10-01T00:00:00+00:00", description=None, public=True, publicId="4bD"),
                ],
            },
        )
    )
    expected = [
        {
            "project_id": 5,
            "hashed_id": "h5",
            "name": "Paid Social",
            "description": "About 5",
            "created_at": utc(2026, 1, 1),
            "updated_at": utc(2026, 11, 20, 12),
            "media_count": 3,
            "is_public": False,
            "is_inferred": False,
            "_fetched_at": utc(2026, 11, 21, 6),
            "_run_id": "r1",
        },
        {
            "project_id": 6,
            "hashed_id": "h6",
            "name": "Project 6",
            "created_at": utc(2026, 1, 1),
            "updated_at": utc(2026, 10, 1),
            "media_count": 2,
            "is_public": True,
            "is_inferred": False,
            "_fetched_at": utc(2026, 11, 21, 6),
            "_run_id": "r1",
        },
    ]
    assertDataFrameEqual(df, frame(spark, DIM_PROJECT_DDL, *expected), rtol=0, atol=0)
    assert df.columns == list(DIM_PROJECT.all_columns)


def test_a_project_without_its_id_or_with_a_negative_media_count_is_quarantined(records, spark):
    parsed = validate.parse(
        records(
            {
                "entity": "projects",
                "records": [
                    project(1, "2026-11-01T00:00:00+00:00"),
                    {k: v for k, v in project(2, "2026-11-01T00:00:00+00:00").items() if k != "id"},
                    project(3, "2026-11-01T00:00:00+00:00", mediaCount=-1),
                    project(4, "not a time"),
                ],
            }
        ),
        schemas.PROJECTS,
    )
    rows = sorted((r["record_index"], r["rule"]) for r in parsed.select("record_index", "rule").collect())
    assert [i for i, rule in rows if rule is None] == [0]
    assert [i for i, rule in rows if rule is not None] == [1, 2, 3]
    assert validate.usable(parsed).select("p.id").collect()[0][0] == 1


def test_inferred_projects_only_for_ids_nobody_holds_with_the_media_s_name_and_hashed_id(records, spark):
    medias = star.dim_media(
        usable(
            records,
            "medias",
            {
                "entity": "medias",
                "fetched": "2026-11-20T06:00:00.000Z",
                "records": [
                    media("m1", "2026-11-01T00:00:00+00:00", project={"id": 5, "name": "Paid", "hashedId": "p5"}),
                    media("m2", "2026-11-01T00:00:00+00:00", project={"id": 6, "name": "Web", "hashed_id": "p6"}),
                    media("m3", "2026-11-02T00:00:00+00:00", project={"id": 7, "name": "Events", "hashedId": "p7"}),
                    media("m4", "2026-11-03T00:00:00+00:00", project={"id": 7, "name": "Events", "hashedId": "p7"}),
                    media("m5", "2026-11-01T00:00:00+00:00"),  # no project: nothing to infer
                ],
            },
        )
    )
    assert medias.where("media_id = 'm5'").select("project_id").first()[0] is None
    this_load = star.dim_project(
        usable(records, "projects", {"entity": "projects", "records": [project(5, "2026-11-01T00:00:00+00:00")]})
    )
    known = spark.createDataFrame([(6,)], "project_id bigint")
    out = star.inferred_projects(medias, this_load, known, "r9")
    # 5 is in this load, 6 in the warehouse: 7 alone (once, though two medias name it), fetched "never" (the epoch)
    expected = {
        "project_id": 7,
        "hashed_id": "p7",
        "name": "Events",
        "is_inferred": True,
        "_fetched_at": utc(1970, 1, 1),
        "_run_id": "r9",
    }
    assertDataFrameEqual(out, frame(spark, DIM_PROJECT_DDL, expected), rtol=0, atol=0)
    assert out.columns == list(DIM_PROJECT.all_columns)
