// One local execution in its own OS process, for the run-lease tests to SIGKILL mid-run (a runner killed on a
// laptop, a CI job cancelled): node --import tsx test/helpers/lease-runner.ts <data dir> <API base URL> <day>.
// The token comes from WISTIA_API_TOKEN; ingestion only (the transform skipped).
import { runPipeline, skipTransform } from '#local/runner/run.ts';

const [dataDir, apiBaseUrl, today] = process.argv.slice(2);
if (!dataDir || !apiBaseUrl || !today) throw new Error('usage: lease-runner.ts <data dir> <API base URL> <day>');
const token = process.env.WISTIA_API_TOKEN ?? '';
const record = await runPipeline({
  dataDir,
  apiBaseUrl,
  token: async () => token,
  input: { today },
  config: { accountRequestsPerMinute: 60_000 },
  retryDelayScale: 0.001,
  glue: skipTransform,
});
process.stdout.write(`${record.name} ${record.status}\n`);
