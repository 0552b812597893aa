// Where the Wistia API token comes from: WISTIA_API_TOKEN locally, an SSM SecureString in AWS (read once
// and cached for a while, so a rotated token is picked up without a redeploy). Errors name the variable or
// parameter, never the value.
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { WistiaConfigError } from './errors.ts';

export type TokenSource = () => Promise<string>;

/** The token from an environment variable; fails with the variable's name when it is unset or empty. */
export function envToken(env: NodeJS.ProcessEnv = process.env, name = 'WISTIA_API_TOKEN'): TokenSource {
  return async () => {
    const v = env[name]?.trim();
    if (!v)
      throw new WistiaConfigError(
        `${name} is not set: export the Wistia API token (Account Settings → API) as ${name}`,
      );
    return v;
  };
}

/** The token from an SSM SecureString parameter, cached for `ttlMs` (default 5 minutes). */
export function ssmToken(ssm: Pick<SSMClient, 'send'>, parameterName: string, ttlMs = 300_000): TokenSource {
  let cached: { value: string; until: number } | undefined;
  let inflight: Promise<string> | undefined;
  return async () => {
    if (cached && Date.now() < cached.until) return cached.value;
    inflight ??= (async () => {
      try {
        const out = await ssm.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true }));
        const value = out.Parameter?.Value?.trim();
        if (!value) throw new WistiaConfigError(`SSM parameter ${parameterName} is empty`);
        cached = { value, until: Date.now() + ttlMs };
        return value;
      } catch (e) {
        if (e instanceof WistiaConfigError) throw e;
        throw new WistiaConfigError(`could not read SSM parameter ${parameterName}: ${(e as Error).name}`);
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };
}
