// One OS process drawing on the account budget's file store (test/budget-store.test.ts): `concurrency` loops
// send GET /stats/account through a WistiaClient whose budget is an AccountBudget over the shared file, for
// `seconds`; prints its client's metrics as JSON.
import { AccountBudget } from '#shared/wistia/account-budget.ts';
import { WistiaClient } from '#shared/wistia/client.ts';
import { FileBudgetStore } from '#local/runner/budget-file.ts';

const spec = JSON.parse(process.argv[2] ?? '{}') as {
  baseUrl: string;
  token: string;
  file: string;
  perMinute: number;
  seconds: number;
  concurrency: number;
};
const budget = new AccountBudget(new FileBudgetStore(spec.file), { perMinute: spec.perMinute });
const client = new WistiaClient({ baseUrl: spec.baseUrl, token: spec.token, budget, maxAttempts: 1 });
const end = Date.now() + spec.seconds * 1000;
let failed = 0;
await Promise.all(
  Array.from({ length: spec.concurrency }, async () => {
    while (Date.now() < end) await client.getAccountStats().catch(() => failed++);
  }),
);
process.stdout.write(JSON.stringify({ metrics: client.metrics, failed, stats: budget.stats }));
