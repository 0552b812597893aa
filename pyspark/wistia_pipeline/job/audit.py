"""Audit: the quality gate over the built frames (wistia_pipeline.quality), before anything is published."""

from __future__ import annotations

from pyspark.sql import DataFrame

from ..pipeline import Built
from ..quality import QualityGateError, run_checks


def gate(built: Built, known_media: DataFrame, known_visitors: DataFrame, quarantine_threshold: float) -> None:
    """Raises QualityGateError, naming every failed rule, when a check fails; the keys a fact may reference are this
    load's dimension rows and the warehouse's known keys."""
    frames = built.frames  # cached by build
    media_keys = frames["dim_media"].select("media_id").unionByName(known_media)
    visitor_keys = frames["dim_visitor"].select("visitor_key").unionByName(known_visitors)
    failures = run_checks(frames, media_keys, visitor_keys, built.counts, quarantine_threshold)
    if failures:
        raise QualityGateError(failures)
