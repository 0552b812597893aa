// Where the Wistia API token comes from: WISTIA_API_TOKEN locally, an SSM SecureString in AWS (read once
// through Powertools Parameters and cached for a while, so a rotated token is picked up without a redeploy). Errors name the variable or
// parameter, never the value.
import type { SSMClient } from '@aws-sdk/client-ssm';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
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

/**
 * The token from an SSM SecureString parameter through Powertools Parameters (decrypted, cached for `ttlMs`,
 * default 5 minutes, so a rotated token is picked up without a redeploy; concurrent first reads share one
 * GetParameter). Errors name the parameter and the error kind, never a value.
 */
export function ssmToken(ssm: SSMClient, parameterName: string, ttlMs = 300_000): TokenSource {
  const provider = new SSMProvider({ awsSdkV3Client: ssm });
  // Powertools caches by seconds (maxAge); at least one second
  const maxAge = Math.max(1, Math.round(ttlMs / 1000));
  let inflight: Promise<string> | undefined;
  return async () => {
    inflight ??= (async () => {
      try {
        const value = (await provider.get(parameterName, { decrypt: true, maxAge }))?.trim();
        if (!value) throw new WistiaConfigError(`SSM parameter ${parameterName} is empty`);
        return value;
      } catch (e) {
        if (e instanceof WistiaConfigError) throw e;
        // Powertools wraps the SDK's error (GetParameterError, cause = e.g. ParameterNotFound, AccessDeniedException)
        const cause = ((e as Error).cause as Error | undefined) ?? (e as Error);
        throw new WistiaConfigError(`could not read SSM parameter ${parameterName}: ${cause.name}`);
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };
}
