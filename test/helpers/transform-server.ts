// vitest globalSetup (the integration and e2e projects, vitest.config.ts): one Spark worker for the whole test run.
// Each test file runs in its own process, and each used to start its own JVM (and pay its first, cold run: ~10-15 s
// more than a warm one here, issue 13); now every TransformWorker of a test process on this checkout's job sends
// its runs here (local/transform.ts useSharedWorker, set by test/helpers/transform-client.ts), one run at a time, in
// the order they come. A CLI the tests spawn as its own OS process still starts its own JVM, as an operator's would.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { TransformWorker } from '#local/transform.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the run's shared Spark worker answers (test/helpers/transform-server.ts). */
    transformServer: string;
  }
}

interface Shared {
  readonly url: Promise<string>;
  readonly stop: () => Promise<void>;
  users: number;
}

// both projects' setups run in vitest's one main process: they share one server (and one JVM)
const slot = globalThis as { wistiaTransformServer?: Shared };

function start(): Shared {
  const worker = new TransformWorker();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      worker.run(JSON.parse(body) as string[]).then(
        (code) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ code })),
        (e: Error) =>
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: e.message })),
      );
    });
  });
  server.requestTimeout = 0; // a run takes as long as it takes (the tests' own timeouts bound it)
  const url = new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/run`)),
  );
  const stop = async () => {
    await new Promise((r) => server.close(r));
    await worker.close();
  };
  return { url, stop, users: 0 };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const s = (slot.wistiaTransformServer ??= start());
  s.users++;
  project.provide('transformServer', await s.url);
  return async () => {
    if (--s.users > 0) return;
    delete slot.wistiaTransformServer;
    await s.stop();
  };
}
