// The SQL the warehouse bootstrap runs, in order: sql/ddl/<file> in the repository, and at the same relative path
// in the Lambda's bundle (infra/constructs/bootstrap.ts copies them there and hashes them for DdlHash).
export const SQL_DIR = 'sql/ddl';
export const SQL_FILES = ['redshift.sql', 'redshift-grants.sql'] as const;
