// Which API a request speaks, and the body as that API shapes it. The world renders the v1 shape; the dated
// (modern) API serves the same data with its own names (../shared/wistia-api/README.md §1.1 and the `.modern`
// schemas): `/modern/<path>` with no `.json`, `/folders` for `/projects` (the Stats API keeps
// `/stats/projects/{id}`), a media's `folder` for its `project` (hashedId per the 2026.03 OpenAPI), and the asset
// keys in snake_case (`file_size`, `content_type`), and a folder's keys in snake_case (`hashed_id`, `media_count`: the
// migration guide's camelCase → snake_case; the vendored reference has no /folders schema). The thumbnail keeps its
// camelCase keys in the modern spec.

export type Dialect = 'v1' | 'modern';

/** The request's dialect and its path in v1 terms ("/medias", "/projects", "/stats/events/abc"); null: neither. */
export function parseApiPath(pathname: string): { dialect: Dialect; path: string } | null {
  if (pathname.startsWith('/v1/')) return { dialect: 'v1', path: pathname.slice(3).replace(/\.json$/, '') };
  if (pathname.startsWith('/modern/')) {
    const p = pathname.slice(7);
    // the modern API has no `.json` suffix, and no /projects listing (folders instead)
    if (p.endsWith('.json') || /^\/projects(\/|$)/.test(p)) return null;
    return { dialect: 'modern', path: p.replace(/^\/folders(?=\/|$)/, '/projects') };
  }
  return null;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function modernMedia(m: unknown): unknown {
  if (!isObject(m)) return m;
  const { project, assets, ...rest } = m;
  const out: Record<string, unknown> = { ...rest };
  if (Array.isArray(assets))
    out.assets = assets.map((a) => {
      if (!isObject(a)) return a;
      const { fileSize, contentType, ...other } = a;
      return { ...other, file_size: fileSize, content_type: contentType };
    });
  if (project !== undefined)
    out.folder = isObject(project)
      ? { id: project.id, name: project.name, hashedId: project.hashedId ?? project.hashed_id }
      : project;
  return out;
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A project as the dated API's /folders lists it: its keys in snake_case (the migration guide's rule). */
function modernFolder(p: unknown): unknown {
  if (!isObject(p)) return p;
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [snake(k), v]));
}

/** A 200 body of `route` as the dialect serves it (the v1 body unchanged). */
export function shapeBody(dialect: Dialect, route: string, body: unknown): unknown {
  if (dialect === 'v1') return body;
  if (route === '/medias' && Array.isArray(body)) return body.map(modernMedia);
  if (route === '/medias/:id') return modernMedia(body);
  if (route === '/projects' && Array.isArray(body)) return body.map(modernFolder);
  return body;
}
