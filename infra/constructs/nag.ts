// cdk-nag v3 acknowledgements: each finding is acknowledged on its own, with the reason it is acceptable.
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledge(scope: IConstruct, reason: string, ...ids: string[]): void {
  for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
}

/** The logical id cdk-nag prints for a construct's resource ("<Id.Arn>" in findings). */
export function logicalIdOf(scope: IConstruct): string {
  return Stack.of(scope).getLogicalId(scope.node.defaultChild as CfnElement);
}
