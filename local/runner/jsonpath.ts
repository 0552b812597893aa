// JSONPath for the parts of a Distributed Map the local runner evaluates itself (ItemReader Parameters,
// ItemSelector, BatchInput, the *Path limits, ResultWriter Parameters): plain paths, `$$` for the context.
import { JSONPath } from 'jsonpath-plus';

export class StatesError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export function evalPath(path: string, input: unknown, context: unknown): unknown {
  if (!path.startsWith('$')) throw new StatesError('States.Runtime', `not a JSONPath: "${path}"`);
  const [json, p] = path.startsWith('$$') ? [context, `$${path.slice(2)}`] : [input, path];
  if (p === '$') return json;
  const r: unknown = JSONPath({ path: p, json: json as object, wrap: false });
  if (r === undefined)
    throw new StatesError('States.Runtime', `The JSONPath '${path}' could not be found in the input`);
  return r;
}

/** Applies a payload template: keys ending in ".$" take the value at their path. */
export function applyTemplate(tpl: unknown, input: unknown, context: unknown): unknown {
  if (Array.isArray(tpl)) return tpl.map((t) => applyTemplate(t, input, context));
  if (tpl === null || typeof tpl !== 'object') return tpl;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tpl)) {
    if (k.endsWith('.$')) {
      if (typeof v !== 'string') throw new StatesError('States.Runtime', `"${k}" must name a path`);
      if (v.startsWith('States.'))
        throw new StatesError(
          'States.Runtime',
          `intrinsic functions are not supported in Distributed Map fields locally: "${v}"`,
        );
      out[k.slice(0, -2)] = evalPath(v, input, context);
    } else out[k] = applyTemplate(v, input, context);
  }
  return out;
}
