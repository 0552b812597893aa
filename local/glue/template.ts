// The Glue job definition as the synthesized template declares it (AWS::Glue::Job), its intrinsic functions
// resolved the way CloudFormation would, for the launcher (launcher.ts). Only what Glue job properties use:
// Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split; anything else is an error naming it.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-job.html
import type { GlueJobDefinition } from './launcher.ts';

export interface TemplateValues {
  /** pseudo parameters, e.g. { 'AWS::AccountId': '111111111111', 'AWS::Region': 'us-east-1', 'AWS::Partition': 'aws' } */
  readonly pseudo: Readonly<Record<string, string>>;
  /** what Ref returns for a logical id (a bucket's name, a parameter's value, a connection's name …) */
  readonly refs?: Readonly<Record<string, string>>;
  /** what Fn::GetAtt returns: "<logical id>.<attribute>" -> value */
  readonly attributes?: Readonly<Record<string, string>>;
}

interface Template {
  readonly Resources: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
}

function lookup(name: string, v: TemplateValues): string {
  const value = v.pseudo[name] ?? v.refs?.[name] ?? v.attributes?.[name];
  if (value === undefined) throw new Error(`the template refers to ${name}, which was not given`);
  return value;
}

export function resolve(value: unknown, v: TemplateValues): unknown {
  if (Array.isArray(value)) return value.map((x) => resolve(x, v));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [fn, arg] = entries[0] as [string, unknown];
    if (fn === 'Ref') return lookup(String(arg), v);
    if (fn === 'Fn::GetAtt') {
      const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
      return lookup(`${id}.${attr}`, v);
    }
    if (fn === 'Fn::Join') {
      const [sep, parts] = arg as [string, unknown[]];
      return (resolve(parts, v) as unknown[]).map(String).join(sep);
    }
    if (fn === 'Fn::Select') {
      const [i, list] = arg as [unknown, unknown];
      return (resolve(list, v) as unknown[])[Number(resolve(i, v))];
    }
    if (fn === 'Fn::Split') {
      const [sep, s] = arg as [string, unknown];
      return String(resolve(s, v)).split(sep);
    }
    if (fn === 'Fn::Sub') {
      const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
      const local = Object.fromEntries(Object.entries(vars).map(([k, x]) => [k, String(resolve(x, v))]));
      return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => local[name] ?? lookup(name, v));
    }
    if (fn.startsWith('Fn::') || fn === 'Condition') throw new Error(`${fn} is not resolved here`);
  }
  return Object.fromEntries(entries.map(([k, x]) => [k, resolve(x, v)]));
}

/** The one AWS::Glue::Job of ``template`` (or the one whose logical id starts with ``logicalIdPrefix``). */
export function glueJobFromTemplate(
  template: Template,
  values: TemplateValues,
  logicalIdPrefix = '',
): GlueJobDefinition {
  const jobs = Object.entries(template.Resources).filter(
    ([id, r]) => r.Type === 'AWS::Glue::Job' && id.startsWith(logicalIdPrefix),
  );
  if (jobs.length !== 1)
    throw new Error(
      `expected one AWS::Glue::Job${logicalIdPrefix ? ` ${logicalIdPrefix}…` : ''}, found ${jobs.length}`,
    );
  const [id, resource] = jobs[0] as [string, Template['Resources'][string]];
  const p = resolve(resource.Properties ?? {}, values) as Record<string, unknown>;
  const command = p.Command as { ScriptLocation: string; Name?: string; PythonVersion?: string };
  return {
    Name: (p.Name as string | undefined) ?? id,
    Command: command,
    ...(p.DefaultArguments ? { DefaultArguments: p.DefaultArguments as Record<string, string> } : {}),
    ...(p.NonOverridableArguments
      ? { NonOverridableArguments: p.NonOverridableArguments as Record<string, string> }
      : {}),
    ...(p.GlueVersion ? { GlueVersion: p.GlueVersion as string } : {}),
    ...(p.Timeout ? { Timeout: p.Timeout as number } : {}),
  };
}
