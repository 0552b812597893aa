// CDK app: `npx cdk synth` runs offline without credentials (environment-agnostic stack, local esbuild).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PipelineStack } from '../stacks/pipeline-stack.ts';

const app = new App();
const ctx = (k: string): string | undefined => {
  const v = app.node.tryGetContext(k) as unknown;
  return typeof v === 'string' && v !== '' ? v : undefined;
};
new PipelineStack(app, ctx('stackName') ?? 'WistiaPipeline', {
  description: 'Wistia video analytics: Step Functions ingestion, bronze on S3, Glue star schema, Redshift Serverless',
  ...(ctx('tokenParameterName') ? { tokenParameterName: ctx('tokenParameterName') } : {}),
  ...(ctx('scheduleExpression') ? { scheduleExpression: ctx('scheduleExpression') } : {}),
  ...(ctx('backfillStartDate') ? { backfillStartDate: ctx('backfillStartDate') } : {}),
  ...(ctx('companyHosts') ? { companyHosts: ctx('companyHosts') } : {}),
  // PII (visitor email, viewer ip) is stored as SHA-256 in the warehouse unless the context says hashPii=false.
  hashPii: ctx('hashPii') !== 'false',
  destroyOnRemoval: ctx('destroyOnRemoval') === 'true',
  ...(process.env.CDK_DEFAULT_ACCOUNT
    ? { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } }
    : {}),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
