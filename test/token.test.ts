// Token sources: the environment variable locally (the SSM source is tested against moto: test/token-ssm.test.ts).
import { describe, expect, it } from 'vitest';
import { WistiaConfigError } from '#shared/wistia/errors.ts';
import { envToken } from '#shared/wistia/token.ts';

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
