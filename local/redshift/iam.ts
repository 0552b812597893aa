// A small IAM policy evaluator for the stand-ins: identity-based policies only (no resource policies,
// permission boundaries, SCPs or sessions policies), which is what the stack's roles carry.
//
// The documented evaluation logic (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
// an explicit Deny in any statement wins; otherwise an Allow is needed; otherwise the request is denied
// implicitly. Element semantics from the IAM JSON policy reference
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html):
// - Action / NotAction: "service:Action" names, case-insensitive, with * and ? wildcards.
// - Resource / NotResource: ARNs, case-sensitive, with * and ? wildcards; policy variables ${aws:username} …
//   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
// - Condition: every operator block must match, every key in a block must match (AND), any of a key's values
//   may match (OR). A missing key fails the condition, except with …IfExists and Null
//   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
//   Condition keys are case-insensitive. Implemented operators: String*, Arn*, Bool, Null, Numeric*, with
//   IfExists and the ForAnyValue: / ForAllValues: set prefixes.

export type ContextValue = string | string[] | undefined;

export interface Request {
  readonly action: string;
  readonly resource: string;
  /** Condition keys (aws:userid, aws:PrincipalArn, redshift-data:statement-owner-iam-userid, s3:prefix …). */
  readonly context: Record<string, ContextValue>;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

interface Statement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean | number>>;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function lookup(context: Record<string, ContextValue>, key: string): ContextValue {
  const k = Object.keys(context).find((c) => c.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : context[k];
}

/** ${aws:username} and the like; ${*}, ${?} and ${$} are the literal characters. */
function substitute(text: string, context: Record<string, ContextValue>): string | undefined {
  let missing = false;
  const out = text.replace(/\$\{([^}]+)\}/g, (_m, key: string) => {
    if (key === '*' || key === '?' || key === '$') return `\uE000${key}`;
    const v = lookup(context, key);
    if (typeof v !== 'string') {
      missing = true;
      return '';
    }
    return v.replace(/[*?]/g, (c) => `\uE000${c}`); // a variable's value matches literally
  });
  return missing ? undefined : out;
}

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The text with ${*} / ${?} / ${$} markers turned back into characters. */
const plain = (s: string) => s.replace(/\uE000(.)/gsu, '$1');
/** IAM's wildcard match: * any run of characters, ? any one; escaped markers are literal. */
function match(pattern: string, value: string, ignoreCase: boolean): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\uE000') re += escape(pattern[++i] ?? '');
    else re += c === '*' ? '.*' : c === '?' ? '.' : escape(c);
  }
  return new RegExp(`^${re}$`, ignoreCase ? 'is' : 's').test(value);
}

function operatorMatches(
  op: string,
  expected: string[],
  actual: ContextValue,
  context: Record<string, ContextValue>,
): boolean {
  let name = op;
  let set: 'any' | 'all' | undefined;
  if (name.startsWith('ForAnyValue:')) [set, name] = ['any', name.slice('ForAnyValue:'.length)];
  else if (name.startsWith('ForAllValues:')) [set, name] = ['all', name.slice('ForAllValues:'.length)];
  const ifExists = name.endsWith('IfExists');
  if (ifExists) name = name.slice(0, -'IfExists'.length);
  if (name === 'Null') {
    const absent = actual === undefined || (Array.isArray(actual) && actual.length === 0);
    return expected.some((e) => String(e).toLowerCase() === String(absent));
  }
  if (actual === undefined) return ifExists || set === 'all';
  const values = list(actual);
  const one = (a: string): boolean => {
    const es = expected.map((e) => substitute(String(e), context)).filter((e): e is string => e !== undefined);
    switch (name) {
      case 'StringEquals':
      case 'ArnEquals':
        return es.some((e) => (name === 'ArnEquals' ? match(e, a, false) : plain(e) === a));
      case 'StringNotEquals':
      case 'ArnNotEquals':
        return !es.some((e) => (name === 'ArnNotEquals' ? match(e, a, false) : plain(e) === a));
      case 'StringEqualsIgnoreCase':
        return es.some((e) => plain(e).toLowerCase() === a.toLowerCase());
      case 'StringNotEqualsIgnoreCase':
        return !es.some((e) => plain(e).toLowerCase() === a.toLowerCase());
      case 'StringLike':
      case 'ArnLike':
        return es.some((e) => match(e, a, false));
      case 'StringNotLike':
      case 'ArnNotLike':
        return !es.some((e) => match(e, a, false));
      case 'Bool':
        return es.some((e) => e.toLowerCase() === a.toLowerCase());
      case 'NumericEquals':
        return es.some((e) => Number(a) === Number(e));
      case 'NumericNotEquals':
        return !es.some((e) => Number(a) === Number(e));
      case 'NumericLessThan':
        return es.some((e) => Number(a) < Number(e));
      case 'NumericLessThanEquals':
        return es.some((e) => Number(a) <= Number(e));
      case 'NumericGreaterThan':
        return es.some((e) => Number(a) > Number(e));
      case 'NumericGreaterThanEquals':
        return es.some((e) => Number(a) >= Number(e));
      default:
        // An operator the evaluator does not know: the condition does not match (so an Allow does not apply
        // and a Deny does not either; deny-with-unknown-operator is the caller's to avoid).
        return false;
    }
  };
  return set === 'all' ? values.every(one) : values.some(one);
}

function statementApplies(s: Statement, req: Request): boolean {
  const actions = s.Action !== undefined ? list(s.Action) : undefined;
  const notActions = s.NotAction !== undefined ? list(s.NotAction) : undefined;
  if (actions && !actions.some((a) => match(a, req.action, true))) return false;
  if (notActions && notActions.some((a) => match(a, req.action, true))) return false;
  if (!actions && !notActions) return false;
  const resourceMatches = (patterns: string[]) =>
    patterns.some((p) => {
      const sub = substitute(p, req.context);
      return sub !== undefined && match(sub, req.resource, false);
    });
  if (s.Resource !== undefined && !resourceMatches(list(s.Resource))) return false;
  if (s.NotResource !== undefined && resourceMatches(list(s.NotResource))) return false;
  if (s.Resource === undefined && s.NotResource === undefined) return false;
  for (const [op, block] of Object.entries(s.Condition ?? {}))
    for (const [key, expected] of Object.entries(block)) {
      const values = list(expected as string | string[]).map(String);
      if (!operatorMatches(op, values, lookup(req.context, key), req.context)) return false;
    }
  return true;
}

/** The decision of the identity's policies on one request. */
export function evaluate(policies: readonly unknown[], req: Request): Decision {
  let allowed = false;
  for (const doc of policies) {
    for (const s of list((doc as { Statement?: Statement | Statement[] }).Statement)) {
      if (!statementApplies(s, req)) continue;
      if (String(s.Effect).toLowerCase() === 'deny') return 'explicit-deny';
      if (String(s.Effect).toLowerCase() === 'allow') allowed = true;
    }
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/** AWS's AccessDeniedException message for a denied identity-based request. */
export function deniedMessage(principalArn: string, req: Request, decision: Decision): string {
  const why =
    decision === 'explicit-deny'
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${req.action} action`;
  return `User: ${principalArn} is not authorized to perform: ${req.action} on resource: ${req.resource} ${why}`;
}
