// The AWS service models the stand-in validates requests against: botocore's own JSON (the same model the
// SDKs are generated from), read from the project's virtualenv. Every shape constraint there (required
// members, string lengths, list sizes such as SqlList 1..40, integer ranges, enums, patterns) is enforced
// here, with the error AWS's JSON services return: ValidationException, "N validation error(s) detected:
// Value '…' at '<member>' failed to satisfy constraint: …".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface ShapeRef {
  readonly shape: string;
}
export interface Shape {
  readonly type: string;
  readonly members?: Record<string, ShapeRef>;
  readonly member?: ShapeRef;
  readonly key?: ShapeRef;
  readonly value?: ShapeRef;
  readonly required?: string[];
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly enum?: string[];
}
export interface Operation {
  readonly input?: ShapeRef;
  readonly output?: ShapeRef;
}
export interface ServiceModel {
  readonly metadata: { readonly targetPrefix: string; readonly signingName: string; readonly endpointPrefix: string };
  readonly operations: Record<string, Operation>;
  readonly shapes: Record<string, Shape>;
}

/** botocore's data directory in the project's virtualenv (.venv/lib/python3.*\/site-packages/botocore/data). */
export function botocoreData(venv: string): string {
  const lib = join(venv, 'lib');
  const python = existsSync(lib) ? readdirSync(lib).find((d) => /^python3\.\d+$/.test(d)) : undefined;
  const dir = python ? join(lib, python, 'site-packages', 'botocore', 'data') : '';
  if (!dir || !existsSync(dir))
    throw new Error(`botocore's service models are missing under ${lib}: run "npm test" (or "npm run setup")`);
  return dir;
}

export function loadModel(data: string, service: string): ServiceModel {
  const dir = join(data, service);
  const version = readdirSync(dir).sort().at(-1);
  if (!version) throw new Error(`no service model for ${service} in ${data}`);
  const file = join(dir, version, 'service-2.json');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : gunzipSync(readFileSync(`${file}.gz`)).toString('utf8');
  return JSON.parse(text) as ServiceModel;
}

export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

function show(v: unknown): string {
  const s = Array.isArray(v)
    ? `[${v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ')}]`
    : String(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/**
 * Checks a request body against the operation's input shape. Unknown members are ignored (as AWS's JSON
 * protocol does); a member of the wrong JSON type is a SerializationException.
 */
export function validateInput(model: ServiceModel, operation: string, body: unknown): void {
  const op = model.operations[operation];
  if (!op?.input) return;
  const errors: string[] = [];
  check(model, op.input.shape, body, '', errors);
  if (errors.length)
    throw new RequestError(
      'ValidationException',
      `${errors.length} validation error${errors.length > 1 ? 's' : ''} detected: ${errors.join('; ')}`,
    );
}

function check(model: ServiceModel, name: string, value: unknown, path: string, errors: string[]): void {
  const shape = model.shapes[name];
  if (!shape || value === undefined || value === null) return;
  const at = path || 'input';
  const fail = (c: string) => errors.push(`Value '${show(value)}' at '${at}' failed to satisfy constraint: ${c}`);
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value))
        throw new RequestError('SerializationException', `Expected an object at '${at}'`);
      const obj = value as Record<string, unknown>;
      for (const r of shape.required ?? [])
        if (obj[r] === undefined || obj[r] === null)
          errors.push(
            `Value null at '${path ? `${path}.` : ''}${lowerFirst(r)}' failed to satisfy constraint: Member must not be null`,
          );
      for (const [m, ref] of Object.entries(shape.members ?? {}))
        check(model, ref.shape, obj[m], `${path ? `${path}.` : ''}${lowerFirst(m)}`, errors);
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) throw new RequestError('SerializationException', `Expected a list at '${at}'`);
      if (shape.min !== undefined && value.length < shape.min)
        fail(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value.length > shape.max)
        fail(`Member must have length less than or equal to ${shape.max}`);
      value.forEach((v, i) => shape.member && check(model, shape.member.shape, v, `${at}.${i + 1}.member`, errors));
      return;
    }
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value))
        throw new RequestError('SerializationException', `Expected a map at '${at}'`);
      return;
    }
    case 'string': {
      if (typeof value !== 'string') throw new RequestError('SerializationException', `Expected a string at '${at}'`);
      if (shape.min !== undefined && value.length < shape.min)
        fail(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value.length > shape.max)
        fail(`Member must have length less than or equal to ${shape.max}`);
      if (shape.enum && !shape.enum.includes(value))
        fail(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      // Smithy patterns are ECMA-262 regular expressions, not implicitly anchored.
      if (shape.pattern && !new RegExp(shape.pattern, 'u').test(value))
        fail(`Member must satisfy regular expression pattern: ${shape.pattern}`);
      return;
    }
    case 'integer':
    case 'long': {
      if (typeof value !== 'number' || !Number.isInteger(value))
        throw new RequestError('SerializationException', `Expected an integer at '${at}'`);
      if (shape.min !== undefined && value < shape.min)
        fail(`Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value > shape.max)
        fail(`Member must have value less than or equal to ${shape.max}`);
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw new RequestError('SerializationException', `Expected a boolean at '${at}'`);
      return;
    default:
      return;
  }
}
