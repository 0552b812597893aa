// CDK app entry (cdk.json): the environment comes from the CLI (CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION,
// set from your AWS credentials) or from context for an offline synth (-c account=… -c region=…).
import { EnvironmentError, pipelineApp } from '../app.ts';

try {
  pipelineApp().app.synth();
} catch (e) {
  if (!(e instanceof EnvironmentError)) throw e;
  console.error(e.message);
  process.exit(1);
}
