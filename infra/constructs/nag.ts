// cdk-nag v3 acknowledgements: each finding is acknowledged on its own, with the reason it is acceptable.
//
// cdk-nag names a wildcard finding after the resource string as it appears in the synthesized policy (its
// flattenCfnReference: Fn::Join joined, Ref -> <Id>, Fn::GetAtt -> <Id.Attr>). That string depends on the
// environment: an environment-agnostic stack prints `arn:<AWS::Partition>:kms:<AWS::Region>:...`, an
// environment-specific one (what `cdk deploy` ships) prints `arn:aws:kms:us-east-1:111111111111:...`. So the
// acknowledgements are rendered from the very value the policy uses (`wildcardResources`), never hard-coded.
import { type CfnElement, Stack, Token, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledge(scope: IConstruct, reason: string, ...ids: string[]): void {
  for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
}

/** The logical id cdk-nag prints for a construct's resource ("<Id.Arn>" in findings). */
export function logicalIdOf(scope: IConstruct): string {
  return Stack.of(scope).getLogicalId(scope.node.defaultChild as CfnElement);
}

/** A resolved CloudFormation value as cdk-nag prints it (the same rules as cdk-nag's flattenCfnReference). */
export function flattenCfn(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flattenCfn).join(delimiter);
    }
    if (o['Fn::Sub'] !== undefined) return flattenCfn(o['Fn::Sub']);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [res, attr] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenCfn(res)}.${flattenCfn(attr)}>`;
    }
    if (o['Fn::ImportValue'] !== undefined) return flattenCfn(o['Fn::ImportValue']);
    if (o.Ref !== undefined) return `<${flattenCfn(o.Ref)}>`;
  }
  return JSON.stringify(node);
}

/** How cdk-nag prints `value` (a string that may hold tokens) in this stack. */
export function nagString(scope: IConstruct, value: string): string {
  return Token.isUnresolved(value) ? flattenCfn(Stack.of(scope).resolve(value)) : value;
}

/**
 * Acknowledge AwsSolutions-IAM5 for the wildcard resources `resources` (the same values the policy statement
 * was given), rendered for this stack's environment.
 */
export function acknowledgeWildcardResources(scope: IConstruct, reason: string, resources: string[]): void {
  acknowledge(scope, reason, ...resources.map((r) => `AwsSolutions-IAM5[Resource::${nagString(scope, r)}]`));
}
