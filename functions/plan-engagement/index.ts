import { depsFromEnv } from '../shared/pipeline/aws-deps.ts';
import { makeHandler } from './handler.ts';

export const handler = makeHandler(depsFromEnv());
