// The token in AWS: an SSM SecureString read through Powertools Parameters (decrypted, cached, re-read after the
// TTL), against moto's SSM server over HTTP.
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WistiaConfigError } from '#shared/wistia/errors.ts';
import { ssmToken } from '#shared/wistia/token.ts';
import { startMoto, type Moto } from './helpers/moto.ts';

let moto: Moto;
let ssm: SSMClient;
const requests: string[] = [];
beforeAll(async () => {
  moto = await startMoto();
  ssm = new SSMClient({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  // count what reaches SSM (each GetParameter)
  ssm.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetParameterCommand') requests.push(context.commandName);
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
});
afterAll(() => moto?.stop());

const put = (name: string, value: string) =>
  ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: true }));

describe('ssmToken', () => {
  it('decrypts the SecureString once for concurrent readers, caches it for the TTL, then re-reads it (rotation)', async () => {
    await put('/wistia/api-token', ' tok-1 ');
    requests.length = 0;
    const get = ssmToken(ssm, '/wistia/api-token', 2000);
    expect(await Promise.all([get(), get(), get()])).toEqual(['tok-1', 'tok-1', 'tok-1']);
    expect(requests).toEqual(['GetParameterCommand']);
    await put('/wistia/api-token', 'tok-2');
    expect(await get()).toBe('tok-1'); // cached
    expect(requests).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 2100));
    expect(await get()).toBe('tok-2');
    expect(requests).toHaveLength(2);
  });

  it('fails with the parameter name and the error kind, never a value', async () => {
    await expect(ssmToken(ssm, '/wistia/missing')()).rejects.toThrow(
      new WistiaConfigError('could not read SSM parameter /wistia/missing: ParameterNotFound'),
    );
    await put('/wistia/blank', '   ');
    await expect(ssmToken(ssm, '/wistia/blank')()).rejects.toThrow(
      new WistiaConfigError('SSM parameter /wistia/blank is empty'),
    );
  });
});
