// Token sources: the environment variable locally, SSM SecureString in AWS (SSM itself is mocked: it is AWS).
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { WistiaConfigError } from '#shared/wistia/errors.ts';
import { envToken, ssmToken } from '#shared/wistia/token.ts';

describe('envToken', () => {
  it('reads WISTIA_API_TOKEN, and fails naming the variable (not a value) when it is missing', async () => {
    expect(await envToken({ WISTIA_API_TOKEN: ' abc ' })()).toBe('abc');
    await expect(envToken({})()).rejects.toThrow(
      new WistiaConfigError(
        'WISTIA_API_TOKEN is not set: export the Wistia API token (Account Settings → API) as WISTIA_API_TOKEN',
      ),
    );
    await expect(envToken({ WISTIA_API_TOKEN: '   ' })()).rejects.toBeInstanceOf(WistiaConfigError);
  });
});

describe('ssmToken', () => {
  function fakeSsm(values: (string | Error)[]) {
    const calls: unknown[] = [];
    return {
      calls,
      send: async (cmd: unknown) => {
        calls.push(cmd);
        const v = values.shift();
        if (v instanceof Error) throw v;
        return { Parameter: { Value: v } };
      },
    };
  }

  it('decrypts the SecureString once and caches it for the TTL, then re-reads (rotation)', async () => {
    const ssm = fakeSsm(['tok-1', 'tok-2']);
    let now = 1_000_000;
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const get = ssmToken(ssm as never, '/wistia/api-token', 60_000);
      expect(await Promise.all([get(), get(), get()])).toEqual(['tok-1', 'tok-1', 'tok-1']);
      expect(ssm.calls).toHaveLength(1);
      const cmd = ssm.calls[0] as GetParameterCommand;
      expect(cmd).toBeInstanceOf(GetParameterCommand);
      expect(cmd.input).toEqual({ Name: '/wistia/api-token', WithDecryption: true });
      now += 60_001;
      expect(await get()).toBe('tok-2');
      expect(ssm.calls).toHaveLength(2);
    } finally {
      Date.now = realNow;
    }
  });

  it('fails with the parameter name and the error kind, never a value', async () => {
    const denied = Object.assign(new Error('User is not authorized; value=whatever'), {
      name: 'AccessDeniedException',
    });
    const get = ssmToken(fakeSsm([denied, '']) as never, '/wistia/api-token');
    await expect(get()).rejects.toThrow('could not read SSM parameter /wistia/api-token: AccessDeniedException');
    await expect(get()).rejects.toThrow('SSM parameter /wistia/api-token is empty');
  });
});
