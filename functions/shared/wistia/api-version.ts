// Which Wistia API the client speaks (issue 17): the v1 API (the default), or a dated release of the modern API.
// The rules, from Wistia's migration guide and the 2026.03 OpenAPI (../shared/wistia-api/README.md §1.1):
// - v1: https://api.wistia.com/v1/<path>.json; it never gets breaking changes (nor new features);
// - dated: https://api.wistia.com/modern/<path> (no suffix) with the header `X-Wistia-Api-Version: YYYY-MM`; a month
//   with no release gets the release before it, so any well-formed month is accepted; "projects" became "folders"
//   (`/projects` → `/folders`, the `project_id` query parameter → `folder_id`, a media's `project` → `folder`),
//   while the Stats API keeps `/stats/projects/{id}`.
// The client lands each body as served (bronze keeps the raw body and its request, apiVersion included); the
// validation and the transform accept both shapes (`project` or `folder`, camelCase or snake_case asset keys), so
// either version builds the same warehouse.
import { WistiaConfigError } from './errors.ts';

export type ApiVersion = { readonly kind: 'v1' } | { readonly kind: 'dated'; readonly release: string };

export const V1: ApiVersion = { kind: 'v1' };
export const VERSION_HEADER = 'X-Wistia-Api-Version';
const DATED = /^(\d{4})-(\d{2})$/;
// The first dated release (2026-01, the migration guide's "API v1 to API 2026-01"): an earlier month has none.
const FIRST_RELEASE = '2026-01';

/** `WISTIA_API_VERSION`: "v1" (or unset) or a dated release "YYYY-MM"; anything else is a configuration error. */
export function parseApiVersion(raw: string | undefined | null): ApiVersion {
  const v = (raw ?? '').trim();
  if (v === '' || v.toLowerCase() === 'v1') return V1;
  const m = DATED.exec(v);
  const month = m ? Number(m[2]) : 0;
  if (!m || month < 1 || month > 12)
    throw new WistiaConfigError(
      `WISTIA_API_VERSION must be "v1" or a dated release "YYYY-MM" such as "2026-03", got "${v.slice(0, 40)}"`,
    );
  if (v < FIRST_RELEASE)
    throw new WistiaConfigError(
      `WISTIA_API_VERSION "${v}" is before the first dated release (${FIRST_RELEASE}); use "v1" or ${FIRST_RELEASE} or later`,
    );
  return { kind: 'dated', release: v };
}

export const versionLabel = (v: ApiVersion): string => (v.kind === 'v1' ? 'v1' : v.release);

/** Wistia's own base URL for the version. */
export const defaultBaseUrl = (v: ApiVersion): string =>
  v.kind === 'v1' ? 'https://api.wistia.com/v1' : 'https://api.wistia.com/modern';

/** The path as the version spells it: `.json` on v1; folders for projects on the modern API (not under /stats). */
export function pathFor(v: ApiVersion, path: string): string {
  if (v.kind === 'v1') return `${path}.json`;
  return path.replace(/^\/projects(?=\/|$)/, '/folders');
}

/** The query as the version spells it: `folder_id` for `project_id` on the modern API. */
export function queryFor(
  v: ApiVersion,
  params: Readonly<Record<string, string | number>>,
): Record<string, string | number> {
  if (v.kind === 'v1' || !('project_id' in params)) return { ...params };
  const { project_id: folder, ...rest } = params;
  return { ...rest, folder_id: folder };
}

/** The headers the version adds to every request. */
export const versionHeaders = (v: ApiVersion): Record<string, string> =>
  v.kind === 'v1' ? {} : { [VERSION_HEADER]: v.release };
