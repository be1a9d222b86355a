import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Ajv from 'ajv';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import type { ConfigIssue } from './config-error';
import { ConfigFile, describeValue, KeyPath } from './config-file';

type SchemaNode = {
  expected?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
};

/** A JSON Schema of a config file; its `$id` names its validator. */
export type Schema = { $id: string };

const AJV_OPTIONS: Options = { allErrors: true, verbose: true, useDefaults: true, strict: true, strictRequired: false, allowUnionTypes: true };

/** ajv's compiler, loaded only to compile: where the package ships its validators built, no task needs it. */
function newAjv(options: Options = {}): Ajv {
  const { default: Ajv } = require('ajv') as typeof import('ajv');
  const ajv = new Ajv({ ...AJV_OPTIONS, ...options });
  // `expected` is Pushbutton's annotation: how a value should look, for error messages.
  ajv.addKeyword('expected');
  return ajv;
}

/**
 * The schemas' validators as one CommonJS module (ajv standalone code), exported by `$id`.
 * The published package ships it as schemas/validators.js (tools/build-packages.mjs): compiling
 * the schemas takes about 0.13 s, in every task that reads config.
 */
export function standaloneValidators(schemas: Schema[]): string {
  const ajv = newAjv({ code: { source: true } });
  for (const schema of schemas) ajv.addSchema(schema);
  const { default: standaloneCode } = require('ajv/dist/standalone') as typeof import('ajv/dist/standalone');
  return standaloneCode(ajv, Object.fromEntries(schemas.map((schema) => [schema.$id, schema.$id])));
}

const BUILT_VALIDATORS = join(__dirname, '../../schemas/validators.js');
let built: Record<string, ValidateFunction> | undefined;
let ajv: Ajv | undefined;
const compiled = new Map<object, ValidateFunction>();

/** The schema's validator: built with the package if it was published, else compiled here once. */
function validatorOf(schema: Schema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    built ??= existsSync(BUILT_VALIDATORS) ? require(BUILT_VALIDATORS) : {};
    validate = built![schema.$id] ?? (ajv ??= newAjv()).compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

function keyPathOf(pointer: string): KeyPath {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function expectedOf(schema: SchemaNode | undefined, fallback: string): string {
  return schema?.expected ?? fallback;
}

function issueFor(file: ConfigFile, error: ErrorObject): ConfigIssue | undefined {
  const path = keyPathOf(error.instancePath);
  const parent = error.parentSchema as SchemaNode | undefined;
  const params = error.params as Record<string, unknown>;
  if (error.propertyName !== undefined) {
    const name = error.propertyName;
    return file.issue([...path, name], expectedOf(parent, `a key matching ${params.pattern}`), JSON.stringify(name), 'key');
  }
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      const what = parent?.properties?.[missing];
      const hint = what?.expected ?? what?.description;
      return file.issue([...path, missing], `a value for "${missing}"${hint ? ` (${hint})` : ''}`, 'nothing: the key is missing');
    }
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const known = Object.keys(parent?.properties ?? {});
      const guess = likelyMeant(extra, known);
      const expected = `one of the keys ${known.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`;
      return file.issue([...path, extra], expected, `unknown key "${extra}"`, 'key');
    }
    case 'type':
      return file.issue(path, expectedOf(parent, typeName(String(params.type))), describeValue(error.data));
    case 'enum':
      return file.issue(path, `one of ${(params.allowedValues as unknown[]).join(', ')}`, describeValue(error.data));
    case 'pattern':
      return file.issue(path, expectedOf(parent, `text matching ${params.pattern}`), describeValue(error.data));
    case 'minimum':
    case 'maximum':
      return file.issue(path, `a number ${params.comparison} ${params.limit}`, describeValue(error.data));
    case 'anyOf':
      return file.issue(path, expectedOf(parent, 'one of the allowed forms'), describeValue(error.data));
    case 'minItems':
      return file.issue(path, expectedOf(parent, `at least ${params.limit} items`), `${(error.data as unknown[]).length} items`);
    case 'uniqueItems': {
      // A value given twice would make the same case twice, counted but run once.
      const [later, earlier] = [Number(params.i), Number(params.j)];
      return file.issue([...path, later], `each value once (it is also item ${earlier})`, describeValue((error.data as unknown[])[later]));
    }
    case 'minProperties':
      return file.issue(path, expectedOf(parent, `at least ${params.limit} entries`), 'none');
    case 'minLength':
      return file.issue(path, expectedOf(parent, `at least ${params.limit} characters`), describeValue(error.data));
    case 'maxLength':
      return file.issue(path, `at most ${params.limit} characters`, `${String(error.data).length} characters`);
    case 'if':
    case 'propertyNames':
      return undefined; // Reported by the error that caused it.
    default:
      return file.issue(path, error.message ?? error.keyword, describeValue(error.data));
  }
}

/** The known key a misspelt one most likely meant, if any is close enough. */
export function likelyMeant(key: string, known: string[]): string | undefined {
  if (!known.length) return undefined;
  const guess = closest(key, known);
  return distance(key.toLowerCase(), guess.toLowerCase()) <= Math.max(2, key.length / 4) ? guess : undefined;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
};

function typeName(type: string): string {
  return TYPE_NAMES[type] ?? type;
}

/**
 * Validates a config file against its JSON Schema, filling in schema defaults.
 * Returns the file's issues, each located at the offending key or value.
 */
export function validateAgainstSchema(file: ConfigFile, schema: Schema): { data: unknown; issues: ConfigIssue[] } {
  const validate = validatorOf(schema);
  const data = file.data ?? {};
  if (validate(data)) return { data, issues: [] };
  // Where an anyOf failed, each alternative failed too: the anyOf error alone says what was expected.
  const errors = validate.errors ?? [];
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath);
  const alternative = (e: ErrorObject) => e.keyword !== 'anyOf' && anyOfPaths.some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`));
  const issues = errors.filter((e) => !alternative(e)).map((error) => issueFor(file, error)).filter((i): i is ConfigIssue => !!i);
  return { data, issues };
}
