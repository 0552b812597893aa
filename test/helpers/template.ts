// Reading a synthesized CloudFormation template in the infra tests: resources by type and construct path,
// IAM statements by role, CloudFormation values as text.
import { flattenCfn } from '../../infra/constructs/nag.ts';
import { UNSCOPED_ACTIONS } from '../../infra/constructs/unscoped.ts';

export type Res = {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string[] | string;
  Metadata?: unknown;
};
export type Statement = {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
  Sid?: string;
};
export type Tpl = { Resources: Record<string, Res>; Outputs?: Record<string, { Value: unknown }> };

export const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** A CloudFormation value as text: Fn::Join joined, Ref -> <Id>, Fn::GetAtt -> <Id.Attr> (as cdk-nag prints it). */
export const text = (v: unknown): string => {
  if (typeof v === 'string') return v;
  const o = v as Record<string, unknown>;
  if (Array.isArray(o?.['Fn::Join'])) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(text).join(sep);
  }
  return flattenCfn(v);
};

export const entries = (tpl: Tpl, type: string) => Object.entries(tpl.Resources).filter(([, r]) => r.Type === type);

/** The resources of `type` whose construct path contains `pathPart`. */
export const byPath = (tpl: Tpl, type: string, pathPart: string) =>
  entries(tpl, type).filter(([, r]) => JSON.stringify(r.Metadata ?? '').includes(pathPart));

/** Every statement of every identity policy (inline role policies, policies, managed policies), by resource id. */
export function identityStatements(tpl: Tpl): { id: string; st: Statement }[] {
  const found: { id: string; st: Statement }[] = [];
  for (const [id, r] of Object.entries(tpl.Resources)) {
    const docs: { Statement: Statement[] }[] = [];
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
      docs.push(r.Properties!.PolicyDocument as { Statement: Statement[] });
    if (r.Type === 'AWS::IAM::Role')
      for (const p of (r.Properties!.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined) ?? [])
        docs.push(p.PolicyDocument);
    for (const d of docs) for (const st of d.Statement) found.push({ id, st });
  }
  return found;
}

/** The statements of the policies attached to a role (its default policy and any iam.Policy naming it). */
export function roleStatements(tpl: Tpl, roleId: string): Statement[] {
  return Object.values(tpl.Resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        (r.Properties!.Roles as unknown[]).some((x) => JSON.stringify(x) === JSON.stringify({ Ref: roleId })),
    )
    .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** The role of a Lambda function resource. */
export const roleOf = (tpl: Tpl, fnId: string) =>
  (tpl.Resources[fnId]!.Properties!.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;

/** The resources granted `action` (sorted: CDK's policy minimization does not keep the order). */
export const grants = (sts: Statement[], action: string) =>
  sts
    .filter((s) => s.Effect === 'Allow' && list(s.Action).includes(action))
    .flatMap((s) => list(s.Resource).map(text))
    .sort();

/**
 * Allow statements on Resource "*" whose action has no written reason in infra/constructs/unscoped.ts, or lacks
 * the condition the list requires; and the listed actions the template does not use (stale entries).
 */
export function unscopedProblems(tpl: Tpl): { problems: string[]; unused: string[] } {
  const used = new Set<string>();
  const problems: string[] = [];
  for (const { id, st } of identityStatements(tpl)) {
    if (st.Effect !== 'Allow' || !list(st.Resource).includes('*')) continue;
    for (const a of list(st.Action)) {
      used.add(a);
      const entry = UNSCOPED_ACTIONS[a];
      if (!entry) problems.push(`${id}: ${a} on "*" has no written reason`);
      else if (entry.condition && !Object.values(st.Condition ?? {}).some((c) => entry.condition! in c))
        problems.push(`${id}: ${a} on "*" lacks the condition ${entry.condition}`);
    }
  }
  return { problems, unused: Object.keys(UNSCOPED_ACTIONS).filter((a) => !used.has(a)) };
}
