// The account budget's store in AWS: one DynamoDB item per Wistia account in the RequestBudget table
// (infra: partition key `pk`, on-demand, TTL on `expiresAt`).
// - Reads are strongly consistent (GetItem ConsistentRead: the latest write, not a replica's copy;
//   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html).
// - Writes are compare-and-set on the `version` attribute: PutItem with attribute_not_exists(pk) creates the
//   item, UpdateItem with `version = :expected` replaces it; a write that loses fails with
//   ConditionalCheckFailedException and consumes no change
//   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html,
//   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html).
// - `expiresAt` is epoch seconds, the format TTL compares; an expired item may still be read until DynamoDB
//   deletes it (typically within days), which is harmless here: an idle bucket reads as a full one either way
//   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html,
//   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html).
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { BucketState, BudgetStore, VersionedBucket } from './account-budget.ts';

const n = (v: number) => ({ N: String(v) });

export class DynamoDbBudgetStore implements BudgetStore {
  constructor(
    private readonly ddb: Pick<DynamoDBClient, 'send'>,
    readonly tableName: string,
  ) {}

  async get(key: string): Promise<VersionedBucket | undefined> {
    const r = await this.ddb.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: key } }, ConsistentRead: true }),
    );
    const i = r.Item;
    if (!i) return undefined;
    const num = (name: string) => {
      const v = Number(i[name]?.N);
      if (!Number.isFinite(v))
        throw new Error(`RequestBudget item "${key}" in ${this.tableName} has no number "${name}"`);
      return v;
    };
    return {
      state: { tokens: num('tokens'), updatedAt: num('updatedAt'), pausedUntil: num('pausedUntil') },
      version: num('version'),
    };
  }

  async put(key: string, state: BucketState, expected: number | undefined, expiresAt: number): Promise<boolean> {
    try {
      if (expected === undefined)
        await this.ddb.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              pk: { S: key },
              tokens: n(state.tokens),
              updatedAt: n(state.updatedAt),
              pausedUntil: n(state.pausedUntil),
              version: n(1),
              expiresAt: n(expiresAt),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      else
        await this.ddb.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { pk: { S: key } },
            UpdateExpression: 'SET tokens = :t, updatedAt = :u, pausedUntil = :p, version = :next, expiresAt = :e',
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: {
              ':t': n(state.tokens),
              ':u': n(state.updatedAt),
              ':p': n(state.pausedUntil),
              ':next': n(expected + 1),
              ':e': n(expiresAt),
              ':expected': n(expected),
            },
          }),
        );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException')
        return false;
      throw e;
    }
  }
}
