"""The job's steps, wired in this order by the entry (glue_job.run): extract (bronze, known keys) -> transform
(validated, deduplicated star frames) -> audit (the quality gate) -> load (stage files, then publish).

These modules do the job's I/O (paths, the warehouse); the transforms they call (wistia_pipeline.pipeline,
wistia_pipeline.transforms) stay pure. Nothing here imports awsglue: GlueContext, job arguments and ``Job`` are the
entry's alone.
"""
