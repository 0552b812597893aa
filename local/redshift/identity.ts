// The callers of the Data API stand-in (server.ts): an IAM identity, given by its ARN, as the caller the engine runs
// statements for, and its database user (IAM:<user>, IAMR:<role>).
import { createHash } from 'node:crypto';
import type { Caller } from './engine.ts';

export interface IdentityConfig {
  /** arn:aws:sts::<account>:assumed-role/<role>/<session>, arn:aws:iam::<account>:role/<path/><role> or :user/<path/><user>. */
  readonly arn: string;
  /** The identity's principal tags (a role's tags for an assumed-role session); RedshiftDbRoles = "role1:role2". */
  readonly tags?: Record<string, string>;
  /** Resolved IAM policy documents: if given, each call must be allowed by them. */
  readonly policies?: unknown[];
}

export function arnParts(arn: string): { region: string; account: string; resource: string } {
  const [, , , region = '', account = '', ...rest] = arn.split(':');
  return { region, account, resource: rest.join(':') };
}

export function callerOf(accessKeyId: string, id: IdentityConfig): Caller {
  const { account, resource } = arnParts(id.arn);
  let kind: 'user' | 'role';
  let name: string;
  let principalArn = id.arn;
  let session = '';
  if (resource.startsWith('assumed-role/')) {
    const [, role = '', s = ''] = resource.split('/');
    [kind, name, session] = ['role', role, s];
    principalArn = `arn:aws:iam::${account}:role/${role}`;
  } else if (resource.startsWith('role/')) [kind, name] = ['role', resource.split('/').pop() ?? ''];
  else if (resource.startsWith('user/')) [kind, name] = ['user', resource.split('/').pop() ?? ''];
  else throw new Error(`identity ${accessKeyId}: ${id.arn} is not an IAM user, role or assumed-role ARN`);
  const hash = createHash('sha256').update(principalArn).digest('hex').slice(0, 17).toUpperCase();
  const userId = kind === 'role' ? `AROA${hash}${session ? `:${session}` : ''}` : `AIDA${hash}`;
  return {
    accessKeyId,
    arn: id.arn,
    principalArn,
    account,
    kind,
    name,
    userId,
    tags: id.tags ?? {},
    policies: id.policies,
  };
}

/** The database user of an IAM identity (Data API: IAM:<user>; federated roles page: IAMR:<role>). */
export const dbUserOf = (c: Caller) => (c.kind === 'role' ? `IAMR:${c.name}` : `IAM:${c.name}`);
