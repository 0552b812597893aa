// The local data dir's layout, in one place: the object store (what S3 holds in AWS: bronze, runs, state), the
// embedded PostgreSQL warehouse and the rendered execution graphs. Every command takes --data-dir (default
// .data/demo, where `npm run demo` writes) and finds its parts here.
import { join, resolve } from 'node:path';

export const DEFAULT_DATA_DIR = '.data/demo';

export interface DataDirPaths {
  /** The data dir itself, absolute. */
  readonly root: string;
  /** The object store's root (FileObjectStore): bronze/, runs/, state/. */
  readonly store: string;
  /** runs/<execution>/ of the store. */
  readonly runs: string;
  /** The warehouse's folder (embedded PostgreSQL's data dir is `pg` in it). */
  readonly warehouse: string;
  readonly pg: string;
  /** Where `graph` writes <execution>.html. */
  readonly graphs: string;
  /** The account request budget's bucket (local/runner/budget-file.ts), shared by every run on this data dir. */
  readonly budget: string;
}

export function dataDirPaths(dataDir: string): DataDirPaths {
  const root = resolve(dataDir);
  const store = join(root, 'store');
  const warehouse = join(root, 'warehouse');
  return {
    root,
    store,
    runs: join(store, 'runs'),
    warehouse,
    pg: join(warehouse, 'pg'),
    graphs: join(root, 'graphs'),
    budget: join(root, 'budget.json'),
  };
}
