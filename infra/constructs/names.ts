// Physical names derived from the stack, for the resources CloudFormation cannot name itself (a required
// name, or a name other resources must reference before it exists). Generated names are used everywhere
// else. A derived name is the stack name (lower-cased, invalid characters replaced), the purpose and a
// hash of stack name + purpose (+ optional salt), so two stacks in one account and region never collide
// (two stack names that lower-case to the same text still differ in the hash).
import { createHash } from 'node:crypto';
import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export interface DerivedNameOptions {
  /** The service's maximum length. */
  readonly maxLength: number;
  /** The characters the service allows besides a-z and 0-9 (a run of others becomes one "-"). Default "-". */
  readonly allowed?: string;
  /** Folded into the hash: a change of it gives a new name (for resources that are replaced, never updated). */
  readonly salt?: string;
}

export function derivedName(scope: IConstruct, purpose: string, opts: DerivedNameOptions): string {
  const stackName = Stack.of(scope).stackName;
  const allowed = (opts.allowed ?? '-').replace(/[\]\\^-]/g, '\\$&');
  const slug = (s: string) =>
    s
      .toLowerCase()
      .replace(new RegExp(`[^a-z0-9${allowed}]+`, 'g'), '-')
      .replace(/^-+|-+$/g, '');
  const hash = createHash('sha256')
    .update(`${stackName}/${purpose}/${opts.salt ?? ''}`)
    .digest('hex')
    .slice(0, 8);
  const tail = `-${slug(purpose)}-${hash}`;
  const head = slug(stackName)
    .slice(0, Math.max(0, opts.maxLength - tail.length))
    .replace(/-+$/, '');
  return `${head || 'wistia'}${tail}`.slice(0, opts.maxLength);
}
