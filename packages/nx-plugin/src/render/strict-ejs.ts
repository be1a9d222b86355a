// Rendering the templates of one item, strictly: EJS with a read-only view of the context, where a
// name the context lacks is an error naming the template and line, not an empty string.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve, sep } from 'node:path';
import { compileFunction } from 'node:vm';
import ejs from 'ejs';
import { OutputType, outputType } from './output-types';
import { isPartial, outputOf, PlannedItem, RenderedText, workspacePath } from './plan';

/** A template that cannot be rendered: where (workspace-relative path and line) and why. */
export class TemplateError extends Error {
  constructor(
    readonly template: string,
    readonly line: number,
    detail: string,
    readonly missing?: string,
  ) {
    super(`${template}:${line}: ${detail}`);
    this.name = 'TemplateError';
  }
}

/** Thrown by the context proxy; becomes a TemplateError once EJS has added the line. */
class MissingName extends Error {
  constructor(
    readonly dottedName: string,
    readonly available: string[],
    readonly owner: string,
  ) {
    super(`"${dottedName}" is not in the template context`);
  }
}

/** Thrown by `rendered()` on a name it cannot render; becomes a TemplateError at the line of the call. */
class RenderedCallError extends Error {}

const JS_IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The name of the function the engine adds to every item's context. */
const RENDERED = 'rendered';

/**
 * Renders the templates of an item that are written, and the partials they call `rendered()` on; each
 * template at most once, so a file and what `rendered()` returns for it are the same text.
 */
export function renderItem(workspaceRoot: string, compile: TemplateCompiler, context: Record<string, unknown>, item: PlannedItem): RenderedText[] {
  const names = contextNames(item.context);
  const texts = new Map<string, string>();
  /** The templates being rendered now, outermost first: a `rendered()` of one of them is a cycle. */
  const rendering: string[] = [];
  const view = strictView({ ...context, [RENDERED]: rendered }, '', new WeakMap()) as ejs.Data;

  const render = (template: string): string => {
    const done = texts.get(template);
    if (done !== undefined) return done;
    rendering.push(template);
    try {
      const text = fillTemplate(workspaceRoot, compile(template, names), template, view, names);
      texts.set(template, text);
      return text;
    } finally {
      rendering.pop();
    }
  };

  function rendered(name: unknown): string {
    const template = typeof name === 'string' ? templateNamed(item, name) : undefined;
    if (typeof name === 'string' && name.includes('/') && !template) {
      throw new RenderedCallError(`rendered(${JSON.stringify(name)}): there is no ${name}.ejs under ${workspacePath(workspaceRoot, item.stepDir)}/`);
    }
    if (!template) {
      const folder = workspacePath(workspaceRoot, dirname(item.templates[0]));
      const available = item.templates.map((path) => JSON.stringify(basename(path, '.ejs'))).join(', ');
      throw new RenderedCallError(`rendered(${JSON.stringify(name)}): ${folder}/ has no such template; it has ${available}`);
    }
    if (rendering.includes(template)) {
      const cycle = [...rendering.slice(rendering.indexOf(template)), template].map((path) => basename(path, '.ejs'));
      throw new RenderedCallError(`rendered(${JSON.stringify(name)}) makes a cycle: ${cycle.join(' -> ')}`);
    }
    return render(template);
  }

  for (const template of item.templates) if (!isPartial(template)) render(template);
  return item.templates
    .filter((template) => texts.has(template))
    .map((template) => ({ template, item, text: texts.get(template)!, output: isPartial(template) ? undefined : outputOf(item, template) }));
}

/**
 * The template `rendered(name)` means: one of the item's folder by name, or, for a path such as
 * `../runner/run-case.sh`, any template of the step's folder, relative to the item's.
 */
function templateNamed(item: PlannedItem, name: string): string | undefined {
  if (!name.includes('/')) return item.templates.find((path) => basename(path) === `${name}.ejs`);
  const path = resolve(dirname(item.templates[0]), `${name}.ejs`);
  return path.startsWith(`${item.stepDir}${sep}`) && existsSync(path) ? path : undefined;
}

/** Copies an item's context for its templates, so none of them reaches the caller's objects. */
type ContextCopier = (context: Record<string, unknown>) => Record<string, unknown>;

/**
 * Copies each object that items' contexts share (the config, the facts) once per render step:
 * templates see the copies only through a read-only view, so sharing one between items is safe.
 * A function (a helper such as gzipBase64, which structuredClone refuses) is given as it is.
 */
export function contextCopier(): ContextCopier {
  const copies = new WeakMap<object, unknown>();
  const copyOf = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (!copies.has(value)) copies.set(value, structuredClone(value));
    return copies.get(value);
  };
  return (context) => Object.fromEntries(Object.entries(context).map(([name, value]) => [name, copyOf(value)]));
}

function contextNames(context: Record<string, unknown>): string[] {
  const names = Object.keys(context);
  const invalid = names.filter((name) => !JS_IDENTIFIER.test(name));
  if (invalid.length > 0) throw new Error(`Context names must be JavaScript identifiers; ${invalid.join(', ')} are not.`);
  if (names.includes(RENDERED)) throw new Error(`Context name ${RENDERED} is taken: the engine gives every template ${RENDERED}(name).`);
  return names;
}

/** A template's compiled function for the given context names. */
export type TemplateCompiler = (template: string, names: string[]) => ejs.TemplateFunction;

/** Compiles each template once per render step, however many items render it. */
export function templateCompiler(workspaceRoot: string): TemplateCompiler {
  const compiled = new Map<string, ejs.TemplateFunction>();
  return (template, names) => {
    const key = `${template}\0${names.join(',')}`;
    const fill = compiled.get(key) ?? compileTemplate(workspaceRoot, template, names);
    compiled.set(key, fill);
    return fill;
  };
}

function compileTemplate(workspaceRoot: string, template: string, names: string[]): ejs.TemplateFunction {
  const compiler = new ejs.Template(readFileSync(template, 'utf8'), {
    filename: template,
    _with: false,
    strict: true,
    destructuredLocals: [...names, RENDERED].filter(canBeVariable),
    escape: outputType(basename(template, '.ejs')).escape,
  });
  try {
    return compiler.compile() as ejs.TemplateFunction;
  } catch (error) {
    const unclosed = /^Could not find matching close tag for "(<%.?)"\.$/.exec((error as Error).message)?.[1];
    if (unclosed) {
      const line = unclosedTagLine(readFileSync(template, 'utf8'));
      throw new TemplateError(workspacePath(workspaceRoot, template), line, `${unclosed} opens a tag that no %> closes`);
    }
    if (!(error instanceof SyntaxError)) throw error;
    const reason = error.message.split('\n')[0].replace(` in ${template} while compiling ejs`, '');
    throw new TemplateError(workspacePath(workspaceRoot, template), syntaxErrorLine(compiler.source, template), `JavaScript syntax error: ${reason}`);
  }
}

/** The line of the last tag that opens and is not closed (EJS says only that one is missing). */
function unclosedTagLine(text: string): number {
  let open: number | undefined;
  for (const match of text.matchAll(/<%[_=#-]?|[_-]?%>/g)) {
    if (match[0].startsWith('<%')) open ??= match.index;
    else open = undefined;
  }
  return (text.slice(0, open ?? text.length).match(/\n/g)?.length ?? 0) + 1;
}

/** Whether a context name can be a variable in a strict-mode template; one that cannot (`case`) is read as `locals.case`. */
function canBeVariable(name: string): boolean {
  try {
    new Function(`"use strict"; var ${name};`);
    return true;
  } catch {
    return false;
  }
}

function fillTemplate(workspaceRoot: string, fill: ejs.TemplateFunction, template: string, view: ejs.Data, names: string[]): string {
  try {
    return fill(view);
  } catch (error) {
    throw asTemplateError(error, workspaceRoot, template, outputType(basename(template, '.ejs')), names);
  }
}

/**
 * A read-only view of the context that throws on a missing property, at any depth. What JavaScript
 * itself probes (symbols, toJSON, then, and anything on the prototype chain) is let through.
 */
function strictView(value: unknown, path: string, views: WeakMap<object, object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  const known = views.get(value);
  if (known) return known;
  const readOnly = (key: string | symbol): never => {
    throw new TypeError(`templates cannot change their context; this one tries to change ${memberPath(path, key)}`);
  };
  const view = new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === 'symbol' || key === 'toJSON' || key === 'then' || key in target) {
        return strictView(Reflect.get(target, key, receiver), memberPath(path, key), views);
      }
      throw new MissingName(memberPath(path, key), Object.keys(target), path);
    },
    set: (_target, key) => readOnly(key),
    defineProperty: (_target, key) => readOnly(key),
    deleteProperty: (_target, key) => readOnly(key),
    setPrototypeOf: () => readOnly('its prototype'),
  });
  views.set(value, view);
  return view;
}

function memberPath(path: string, key: string | symbol): string {
  const name = String(key);
  if (!path) return name;
  if (/^\d+$/.test(name)) return `${path}[${name}]`;
  return JS_IDENTIFIER.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`;
}

function asTemplateError(error: unknown, workspaceRoot: string, template: string, type: OutputType, contextNames: string[]): unknown {
  if (!(error instanceof Error)) return error;
  const { places, detail } = splitAnnotations(error.message);
  if (error instanceof TemplateError) {
    // From a template that rendered() rendered, which already names its own line; drop what EJS added on the way out.
    error.message = detail;
    return error;
  }
  // The innermost annotation is where it happened (an included file, or the template itself).
  const place = places.at(-1);
  const file = place ? type.unescape(place.file) : template;
  const shown = workspacePath(workspaceRoot, file);
  const line = place?.line ?? 0;

  if (error instanceof RenderedCallError) return new TemplateError(shown, line, detail);
  if (error instanceof MissingName) {
    const owner = error.owner || 'the context';
    const has = error.available.length > 0 ? `${owner} has: ${error.available.join(', ')}` : `${owner} is empty`;
    return new TemplateError(shown, line, `"${error.dottedName}" is not in the template context (${has})`, error.dottedName);
  }
  const undefinedName = error instanceof ReferenceError ? /^(\S+) is not defined$/.exec(detail)?.[1] : undefined;
  if (undefinedName) {
    const message = `"${undefinedName}" is not in the template context (the context has: ${contextNames.join(', ')})`;
    return new TemplateError(shown, line, message, undefinedName);
  }
  return new TemplateError(shown, line, `${error.name}: ${detail}`);
}

/**
 * EJS's compileDebug rethrow prefixes the message with `<file>:<line>`, the lines around it and
 * a blank line; once per template, so an error in an include carries the include's block last.
 */
function splitAnnotations(message: string): { places: { file: string; line: number }[]; detail: string } {
  const block = /^([^\n]*):(\d+)\n(?:(?: >> | {4})\d+\| [^\n]*\n)*\n/;
  const places: { file: string; line: number }[] = [];
  let rest = message;
  for (let match = block.exec(rest); match; match = block.exec(rest)) {
    places.push({ file: match[1], line: Number(match[2]) });
    rest = rest.slice(match[0].length);
  }
  return { places, detail: rest };
}

/**
 * EJS reports a syntax error without a line. Compile its generated source where V8 reports the
 * line, and map that back through the `__line = N` markers EJS writes for every template line.
 */
function syntaxErrorLine(source: string, template: string): number {
  let generatedLine = 0;
  try {
    compileFunction(`"use strict";\n${source}`, ['locals', 'escapeFn', 'include', 'rethrow'], { filename: template });
  } catch (error) {
    generatedLine = Number(/:(\d+)\n/.exec(String((error as Error).stack))?.[1] ?? 0) - 1;
  }
  const before = source.split('\n').slice(0, generatedLine).join('\n');
  const markers = [...before.matchAll(/^ {4}; __line = (\d+)$/gm)];
  return Number(markers.at(-1)?.[1] ?? 1);
}

