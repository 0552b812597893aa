// vitest setupFiles (the integration and e2e projects): this test process's TransformWorkers use the run's shared
// Spark worker (test/helpers/transform-server.ts).
import { inject } from 'vitest';
import { useSharedWorker } from '#local/transform.ts';

useSharedWorker(inject('transformServer'));
