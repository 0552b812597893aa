// moto's server mode: a real S3-compatible server on loopback (installed in the project's virtualenv).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { ROOT } from './sim.ts';
import { freePort } from '#local/net.ts';

export interface Moto {
  readonly endpoint: string;
  readonly s3: S3Client;
  stop(): Promise<void>;
}

/**
 * moto's server answers requests on threads and its DynamoDB backend checks a ConditionExpression and writes
 * without a lock, so two concurrent conditional writes can both pass (a lost update DynamoDB never allows: a
 * conditional write is atomic, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
 * `serialized` runs the same server one request at a time, which restores that atomicity for the tests of
 * compare-and-set writers.
 */
const SERIALIZED = [
  '-c',
  [
    'import sys',
    'from werkzeug.serving import run_simple',
    'from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app',
    'run_simple(sys.argv[1], int(sys.argv[2]), DomainDispatcherApplication(create_backend_app), threaded=False, request_handler=MotoRequestHandler)',
  ].join('\n'),
];

export async function startMoto(o: { serialized?: boolean } = {}): Promise<Moto> {
  const python = process.env.WISTIA_PIPELINE_PYTHON ?? join(ROOT, '.venv', 'bin', 'python');
  if (!existsSync(python))
    throw new Error(`the project's Python (${python}) is missing: run "npm test", which installs it`);
  const port = await freePort();
  const args = o.serialized
    ? [...SERIALIZED, '127.0.0.1', String(port)]
    : ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)];
  const proc: ChildProcess = spawn(python, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.status < 500) break;
    } catch {
      /* not up yet */
    }
    if (proc.exitCode !== null || Date.now() > deadline)
      throw new Error(`moto server did not start: ${stderr.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    endpoint,
    s3,
    stop: async () => {
      s3.destroy();
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}
