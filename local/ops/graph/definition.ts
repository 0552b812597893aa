// The state machine's shape as the graph draws it: the transitions of a definition (Next, Choices, Default, Catch),
// the ItemProcessor a Map state holds, a Choice rule as a readable condition and a state's kind. No history here.
import type { Definition, State } from '../../runner/asl.ts';

export interface EdgeDef {
  readonly from: string;
  readonly to: string;
  readonly kind: 'next' | 'choice' | 'default' | 'catch';
  /** A choice's condition, "default", or a catch's error names. */
  readonly label: string | undefined;
}

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function processorOf(s: State): Definition | undefined {
  const p = (s.ItemProcessor ?? s.Iterator) as unknown;
  return isObj(p) && typeof p.StartAt === 'string' && isObj(p.States) ? (p as unknown as Definition) : undefined;
}

const OPS: Record<string, string> = {
  Equals: '==',
  LessThan: '<',
  GreaterThan: '>',
  LessThanEquals: '<=',
  GreaterThanEquals: '>=',
  Matches: 'matches',
};

/** A Choice rule as a short readable condition: `$.done == false`. */
export function describeRule(rule: Record<string, unknown>): string {
  for (const k of ['And', 'Or'] as const)
    if (Array.isArray(rule[k]))
      return (rule[k] as Record<string, unknown>[]).map((r) => `(${describeRule(r)})`).join(` ${k.toLowerCase()} `);
  if (isObj(rule.Not)) return `not (${describeRule(rule.Not)})`;
  const variable = typeof rule.Variable === 'string' ? rule.Variable : '?';
  for (const [k, v] of Object.entries(rule)) {
    if (k === 'Variable' || k === 'Next' || k === 'Comment') continue;
    const m =
      /^(String|Numeric|Boolean|Timestamp)?(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals|Matches)(Path)?$/.exec(
        k,
      );
    if (m) return `${variable} ${OPS[m[2] as string]} ${m[3] ? String(v) : JSON.stringify(v)}`;
    if (/^Is(Null|Present|Numeric|String|Boolean|Timestamp)$/.test(k))
      return `${v === false ? 'not ' : ''}${k.slice(2).toLowerCase()} ${variable}`;
    return `${variable} ${k} ${JSON.stringify(v)}`;
  }
  return variable;
}

export function edgesOf(states: Record<string, State>): EdgeDef[] {
  const out: EdgeDef[] = [];
  const add = (from: string, to: unknown, kind: EdgeDef['kind'], label?: string) => {
    if (typeof to === 'string' && to in states) out.push({ from, to, kind, label });
  };
  for (const [name, s] of Object.entries(states)) {
    add(name, s.Next, 'next');
    if (Array.isArray(s.Choices))
      for (const rule of s.Choices) if (isObj(rule)) add(name, rule.Next, 'choice', describeRule(rule));
    add(name, s.Default, 'default', 'default');
    if (Array.isArray(s.Catch))
      for (const c of s.Catch)
        if (isObj(c)) add(name, c.Next, 'catch', Array.isArray(c.ErrorEquals) ? c.ErrorEquals.join(', ') : undefined);
  }
  return out;
}

/** What a state is, in a few words: `Task · lambda`, `Map · distributed · MediaEngagement`, `Choice`. */
export function kindOf(s: State): string {
  if (s.Type === 'Task' && typeof s.Resource === 'string')
    return `Task · ${s.Resource.replace(/^arn:aws:states:::/, '').replace(/^arn:aws:lambda:.*$/, 'lambda')}`;
  if (s.Type === 'Map') {
    const p = processorOf(s) as (Definition & { ProcessorConfig?: { Mode?: string } }) | undefined;
    const mode = p?.ProcessorConfig?.Mode === 'DISTRIBUTED' ? 'distributed' : 'inline';
    return `Map · ${mode}${typeof s.Label === 'string' ? ` · ${s.Label}` : ''}`;
  }
  return s.Type;
}
