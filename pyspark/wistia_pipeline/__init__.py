"""Glue 5.x PySpark job of the Wistia pipeline: bronze JSON to the analytics star schema.

Transform modules are pure DataFrame -> DataFrame functions: no paths, no awsglue, no I/O.
Only the job entry wires extract -> transform -> load.
"""
