// The strict template engine: every file Pushbutton renders that is not Terraform comes from
// templates/<step>/*.ejs through here. A name the context lacks is an error, not an empty string;
// `<%= %>` escapes for the file being written; the output replaces the old folder only when all
// of it rendered and checks out.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, posix, relative, sep } from 'node:path';
import { compileFunction } from 'node:vm';
import ejs from 'ejs';
import { parse as parseShellWords, quote as quoteShellWords } from 'shell-quote';
import { checkEach, memoized, TextProblems } from './memoized';
import { checkYamlInBackground } from './yaml-checks';

export interface RenderItem {
  /** A folder directly under templates/<step>/ whose *.ejs files this item renders ('' = the step folder itself; not recursive). */
  templateDir: string;
  /** Where the rendered files go, relative to the step's render output folder, e.g. 'devices/lab-gateway'. */
  outDir: string;
  /** Put before the name of each file the item writes, so items can share a folder: `c-0123.` writes `c-0123.user-data.yaml`. */
  filePrefix?: string;
  /** The most bytes each file the item writes may have, and who says so: the render fails before writing anything larger. */
  maxBytes?: { limit: number; why: string };
  /**
   * What its templates read: each name as a variable, or, if it cannot be one (`case`), as `locals.case`.
   * Data is copied for the templates; a function at the top (a helper such as gzipBase64) is given to them as it is.
   */
  context: Record<string, unknown>;
}

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

/**
 * Renders every template of templates/<step>/ for its items into outDir (absolute), replacing what was there; returns the rendered files, relative to outDir, sorted.
 * Besides its item's context, every template can call `rendered(name)`: the rendered text of `<name>.ejs` in its own folder, for the same item.
 * A template whose name starts with `_` is a partial: it renders only through `rendered()`, and is checked but not written.
 */
export function renderStep(options: { workspaceRoot: string; step: string; outDir: string; items: RenderItem[] }): string[] {
  const { workspaceRoot, step, outDir, items } = options;
  const planned = planItems(workspaceRoot, step, items);
  const compile = templateCompiler(workspaceRoot);
  const copyContext = contextCopier();
  const texts = planned.flatMap((item) => renderItem(workspaceRoot, compile, copyContext(item.context), item));
  requirePartialsUsed(workspaceRoot, planned, texts);
  const problemOf = startChecks(texts);
  const files = texts.filter((text): text is RenderedFile => text.output !== undefined);
  // Written aside while checks run in the background; it replaces the output only if every text checks out.
  const staging = writeStaging(outDir, files);
  try {
    for (const text of texts) checkRendered(workspaceRoot, outDir, text, problemOf);
    replaceFolder(staging, outDir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return files.map((file) => file.output).sort();
}

// ---------------------------------------------------------------------------------------------
// Which template renders to which file

/** One render item: its context, its folder in the output, and the templates of its folder (absolute paths, sorted), which it all renders. */
interface PlannedItem {
  context: Record<string, unknown>;
  /** Posix path, relative to the step's output folder. */
  outDir: string;
  filePrefix: string;
  maxBytes?: RenderItem['maxBytes'];
  templates: string[];
}

/** What one template rendered for one item. */
interface RenderedText {
  /** Absolute path of the template. */
  template: string;
  item: PlannedItem;
  text: string;
  /** Posix path of the file it is written to, relative to the step's output folder; none for a partial. */
  output?: string;
}

type RenderedFile = RenderedText & { output: string };

function planItems(workspaceRoot: string, step: string, items: RenderItem[]): PlannedItem[] {
  const stepDir = join(workspaceRoot, 'templates', step);
  const shown = (path: string) => workspacePath(workspaceRoot, path);
  if (!existsSync(stepDir)) throw new Error(`${shown(stepDir)}/ does not exist: there is nothing to render for step ${step}.`);

  // Each folder is listed once per render step, however many items render it.
  const templatesIn: TemplateLister = memoized(listTemplates);
  const planned = items.map((item) => planItem(stepDir, item, shown, templatesIn));
  const outputs = new Set<string>();
  for (const item of planned) {
    for (const template of item.templates.filter((path) => !isPartial(path))) {
      const output = outputOf(item, template);
      if (outputs.has(output)) throw new Error(`Two render items write ${output} (the second from ${shown(template)}): give each item its own outDir or filePrefix.`);
      outputs.add(output);
    }
  }

  const rendered = new Set(planned.flatMap((item) => item.templates));
  const unrendered = templatesUnder(stepDir).filter((template) => !rendered.has(template));
  if (unrendered.length > 0) {
    const folders = [...new Set(items.map((item) => shown(join(stepDir, item.templateDir))))].join(', ') || 'none';
    throw new Error(
      `No render item renders ${unrendered.map(shown).join(', ')}. Step ${step} renders the templates directly in: ${folders}. ` +
        'Move or rename the template, or add a render item for its folder.',
    );
  }
  return planned;
}

function planItem(stepDir: string, item: RenderItem, shown: (path: string) => string, templatesIn: TemplateLister): PlannedItem {
  if (item.templateDir.includes('/') || item.templateDir.includes('\\') || item.templateDir === '..' || item.templateDir === '.') {
    throw new Error(`templateDir "${item.templateDir}" must be '' or the name of a folder directly under ${shown(stepDir)}/.`);
  }
  const outDir = posix.normalize(item.outDir || '.');
  if (posix.isAbsolute(outDir) || outDir === '..' || outDir.startsWith('../')) {
    throw new Error(`outDir "${item.outDir}" must be a folder inside the step's render output.`);
  }
  const filePrefix = item.filePrefix ?? '';
  if (/[/\\]/.test(filePrefix)) throw new Error(`filePrefix "${filePrefix}" must not name a folder; outDir does.`);
  const dir = join(stepDir, item.templateDir);
  const templates = templatesIn(dir);
  if (!templates) throw new Error(`${shown(dir)}/ does not exist (render item for ${outDir}).`);
  if (templates.every(isPartial)) {
    throw new Error(`${shown(dir)}/ has no *.ejs templates${templates.length > 0 ? ' but partials' : ''} (render item for ${outDir}).`);
  }
  return { context: item.context, outDir, filePrefix, maxBytes: item.maxBytes, templates };
}

/** The *.ejs templates directly in a folder (absolute paths, sorted); undefined if there is no such folder. */
type TemplateLister = (dir: string) => string[] | undefined;

function listTemplates(dir: string): string[] | undefined {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return undefined;
  return readdirSync(dir)
    .filter((name) => name.endsWith('.ejs') && statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => join(dir, name));
}

/** Whether a template (name or path) is a partial, which renders only through `rendered()`. */
function isPartial(template: string): boolean {
  return basename(template).startsWith('_');
}

function outputOf(item: PlannedItem, template: string): string {
  return posix.join(item.outDir, item.filePrefix + basename(template, '.ejs'));
}

/** A partial that no template renders would never be checked: it is a mistake, like a template no item renders. */
function requirePartialsUsed(workspaceRoot: string, planned: PlannedItem[], texts: RenderedText[]): void {
  const used = new Set(texts.map((text) => text.template));
  const unused = [...new Set(planned.flatMap((item) => item.templates))].filter((template) => isPartial(template) && !used.has(template));
  if (unused.length === 0) return;
  const calls = unused.map((template) => `rendered(${JSON.stringify(basename(template, '.ejs'))})`).join(', ');
  throw new Error(
    `No template uses the partial ${unused.map((template) => workspacePath(workspaceRoot, template)).join(', ')}: ` +
      `a template whose name starts with _ renders only through ${calls} in a template of its folder. Use it, or remove it.`,
  );
}

function templatesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => path.endsWith('.ejs') && statSync(path).isFile());
}

// ---------------------------------------------------------------------------------------------
// What each kind of output needs: how `<%= %>` escapes, its mode, how it is checked

interface OutputType {
  /** What `<%= value %>` writes. */
  escape: (value: unknown) => string;
  /** Undoes `escape` on a file name, which EJS escapes too when it annotates an error. */
  unescape: (text: string) => string;
  mode: number;
  /** Starts checking the rendered texts of this type, each distinct text once. */
  check?: (texts: string[]) => TextProblems;
}

const shellScript: OutputType = {
  escape: (value) => quoteShellWords([String(value)]),
  unescape: (text) => {
    const [word] = parseShellWords(text);
    return typeof word === 'string' ? word : text;
  },
  mode: 0o755,
  check: checkEach(bashSyntaxProblem),
};

const yamlFile: OutputType = {
  // A JSON string is a valid YAML double-quoted scalar; numbers and booleans stay what they are.
  escape: (value) => JSON.stringify(value),
  unescape: (text) => JSON.parse(text) as string,
  mode: 0o644,
  // Many texts at once, on worker threads.
  check: checkYamlInBackground,
};

const jsonFile: OutputType = {
  ...yamlFile,
  check: checkEach((text) => {
    try {
      JSON.parse(text);
      return undefined;
    } catch (error) {
      return `not valid JSON: ${(error as Error).message}`;
    }
  }),
};

/** Shell assignments that a checked script sources: quoted as in a script, so there is nothing left to check. */
const shellValues: OutputType = { escape: shellScript.escape, unescape: shellScript.unescape, mode: 0o644 };

const textFile: OutputType = { escape: (value) => String(value), unescape: (text) => text, mode: 0o644 };

function outputType(file: string): OutputType {
  switch (extname(file)) {
    case '.sh':
      return shellScript;
    case '.env':
      return shellValues;
    case '.yaml':
    case '.yml':
      return yamlFile;
    case '.json':
      return jsonFile;
    default:
      return textFile;
  }
}

/** `bash -n` on the script; no finding when bash is not installed. */
function bashSyntaxProblem(text: string): string | undefined {
  const result = spawnSync('bash', ['-n'], { input: text, encoding: 'utf8' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
  if (result.error) throw result.error;
  return result.status === 0 ? undefined : `bash -n finds a syntax error: ${result.stderr.trim()}`;
}

/** What is wrong with a rendered text, once its type's check has finished. */
type ProblemOf = (rendered: RenderedText) => string | undefined;

/** Starts each output type's check on the rendered texts of that type. */
function startChecks(texts: RenderedText[]): ProblemOf {
  const textsOf = new Map<OutputType, string[]>();
  for (const rendered of texts) {
    const type = typeOf(rendered);
    if (!type.check) continue;
    if (!textsOf.has(type)) textsOf.set(type, []);
    textsOf.get(type)!.push(rendered.text);
  }
  const problems = new Map([...textsOf].map(([type, ofType]) => [type, type.check!(ofType)]));
  return (rendered) => problems.get(typeOf(rendered))?.().get(rendered.text);
}

const typeOf = ({ template }: RenderedText): OutputType => outputType(basename(template, '.ejs'));

/** A written file over its item's size limit: its size, and the limit with who sets it. */
function sizeProblem({ item, output, text }: RenderedText): string | undefined {
  if (output === undefined || !item.maxBytes) return undefined;
  const bytes = Buffer.byteLength(text);
  return bytes > item.maxBytes.limit ? `${bytes} bytes, over the ${item.maxBytes.limit} that ${item.maxBytes.why}` : undefined;
}

function checkRendered(workspaceRoot: string, outDir: string, rendered: RenderedText, problemOf: ProblemOf): void {
  const problem = sizeProblem(rendered) ?? problemOf(rendered);
  if (!problem) return;
  const { template, item, output } = rendered;
  const shown = (path: string) => workspacePath(workspaceRoot, path);
  const what =
    output === undefined
      ? `${shown(template)} (a partial, rendered for ${shown(join(outDir, item.outDir, item.filePrefix && `${item.filePrefix}*`))})`
      : `${shown(join(outDir, output))} (rendered from ${shown(template)})`;
  throw new Error(`${what} is ${problem}`);
}

/** How messages show a path: relative to the workspace, with forward slashes. */
function workspacePath(workspaceRoot: string, path: string): string {
  return relative(workspaceRoot, path).split(sep).join('/');
}

// ---------------------------------------------------------------------------------------------
// Rendering the templates of one item, strictly

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
function renderItem(workspaceRoot: string, compile: TemplateCompiler, context: Record<string, unknown>, item: PlannedItem): RenderedText[] {
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
    const template = typeof name === 'string' ? item.templates.find((path) => basename(path) === `${name}.ejs`) : undefined;
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

/** Copies an item's context for its templates, so none of them reaches the caller's objects. */
type ContextCopier = (context: Record<string, unknown>) => Record<string, unknown>;

/**
 * Copies each object that items' contexts share (the config, the facts) once per render step:
 * templates see the copies only through a read-only view, so sharing one between items is safe.
 * A function (a helper such as gzipBase64, which structuredClone refuses) is given as it is.
 */
function contextCopier(): ContextCopier {
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
type TemplateCompiler = (template: string, names: string[]) => ejs.TemplateFunction;

/** Compiles each template once per render step, however many items render it. */
function templateCompiler(workspaceRoot: string): TemplateCompiler {
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
    if (!(error instanceof SyntaxError)) throw error;
    const reason = error.message.split('\n')[0].replace(` in ${template} while compiling ejs`, '');
    throw new TemplateError(workspacePath(workspaceRoot, template), syntaxErrorLine(compiler.source, template), `JavaScript syntax error: ${reason}`);
  }
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

// ---------------------------------------------------------------------------------------------
// Replacing the output folder, all or nothing

/** Writes the files into a folder beside outDir (removed again if writing fails); returns its path. */
function writeStaging(outDir: string, files: RenderedFile[]): string {
  const staging = join(dirname(outDir), `.${basename(outDir)}.${process.pid}.staging`);
  rmSync(staging, { recursive: true, force: true });
  try {
    mkdirSync(staging, { recursive: true });
    const folders = new Set<string>();
    for (const { output, text } of files) {
      const file = join(staging, output);
      const { mode } = outputType(file);
      const folder = dirname(file);
      if (!folders.has(folder)) {
        mkdirSync(folder, { recursive: true });
        folders.add(folder);
      }
      writeFileSync(file, text, { mode });
      chmodSync(file, mode);
    }
    return staging;
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

function replaceFolder(staging: string, target: string): void {
  const retired = `${staging}.old`;
  rmSync(retired, { recursive: true, force: true });
  if (existsSync(target)) renameSync(target, retired);
  try {
    renameSync(staging, target);
  } catch (error) {
    if (existsSync(retired)) renameSync(retired, target);
    throw error;
  }
  rmSync(retired, { recursive: true, force: true });
}
