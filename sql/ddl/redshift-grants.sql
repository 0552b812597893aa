-- The pipeline's database roles and what they may do, granted on the objects sql/ddl/redshift.sql creates.
-- The bootstrap custom resource (functions/warehouse-bootstrap) runs redshift.sql, then this file, as the
-- namespace's admin on every deploy that changes either file (DdlHash).
-- An IAM identity's database user (IAMR:<role name>, IAM:<user name>) is created at its first sign-in with
-- PUBLIC's privileges only and joins the roles its RedshiftDbRoles tag names (colon separated):
-- https://docs.aws.amazon.com/redshift/latest/mgmt/redshift-iam-access-federated-db-roles.html
-- The Glue job's role is tagged RedshiftDbRoles = wistia_loader; analysts' and the dashboard's roles
-- RedshiftDbRoles = wistia_reader.
--
-- CREATE ROLE has no IF NOT EXISTS (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_ROLE.html): on a
-- re-run the bootstrap runs each CREATE ROLE on its own and accepts "already exists".
CREATE ROLE wistia_loader;
CREATE ROLE wistia_reader;

-- USAGE to reach the schema's objects at all: "Unless they are granted the USAGE permission by the object
-- owner, users cannot access any objects in schemas they do not own"
-- (https://docs.aws.amazon.com/redshift/latest/dg/r_Schemas_and_tables.html). No CREATE: the job runs no DDL.
GRANT USAGE ON SCHEMA analytics TO ROLE wistia_loader;
GRANT USAGE ON SCHEMA analytics TO ROLE wistia_reader;

-- The loader stages with COPY (INSERT privilege: https://docs.aws.amazon.com/redshift/latest/dg/t_Loading_tables_with_the_COPY_command.html),
-- clears stages and guards with DELETE ... USING (DELETE on the target, SELECT on what it reads:
-- https://docs.aws.amazon.com/redshift/latest/dg/r_DELETE.html), counts with UPDATE (UPDATE, and SELECT on the
-- tables its expressions read: https://docs.aws.amazon.com/redshift/latest/dg/r_UPDATE.html) and publishes
-- with MERGE ("SELECT permission for [source and target] ... UPDATE, DELETE, and INSERT permissions for
-- target_table depending on the operations included": https://docs.aws.amazon.com/redshift/latest/dg/r_MERGE.html).
-- TRUNCATE is not granted: only the owner or a superuser may truncate, and it commits the transaction
-- (https://docs.aws.amazon.com/redshift/latest/dg/r_TRUNCATE.html). ALL TABLES IN SCHEMA covers the tables
-- that exist when this runs, the stage tables (stg_*) included.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA analytics TO ROLE wistia_loader;

-- Analysts, the saved queries and the dashboard read only.
GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO ROLE wistia_reader;
