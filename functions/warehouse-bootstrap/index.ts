import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import { tracer } from '../shared/powertools.ts';
import { makeHandler, sqlFromDisk } from './handler.ts';

export const handler = makeHandler({
  data: tracer.captureAWSv3Client(new RedshiftDataClient({})),
  serverless: tracer.captureAWSv3Client(new RedshiftServerlessClient({})),
  sql: sqlFromDisk(),
});
