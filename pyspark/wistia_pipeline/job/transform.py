"""Transform: the run's bronze envelopes -> validated, deduplicated star frames, quarantine, drift and counts
(wistia_pipeline.pipeline.build, with its settings read from the job's arguments)."""

from __future__ import annotations

from pyspark.sql import DataFrame

from ..pipeline import Built, build


def company_hosts(args: dict[str, str]) -> list[str]:
    """--company_hosts: the hosts of the company's own site, comma-separated (blanks dropped)."""
    return [h.strip() for h in args["company_hosts"].split(",") if h.strip()]


def transform(
    envelopes: dict[str, DataFrame],
    args: dict[str, str],
    known_media: DataFrame,
    known_visitors: DataFrame,
    known_projects: DataFrame | None = None,
) -> Built:
    return build(
        envelopes,
        args["run_id"],
        company_hosts(args),
        args["hash_pii"] == "true",
        known_media,
        known_visitors,
        known_projects,
    )
