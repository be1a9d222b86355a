// What each kind of rendered file needs: how `<%= %>` escapes into it, its mode, how it is checked
// (bash -n, YAML and JSON parsed back, a size limit), and the error that names a file that fails.
import { spawnSync } from 'node:child_process';
import { basename, extname, join } from 'node:path';
import { parse as parseShellWords, quote as quoteShellWords } from 'shell-quote';
import { checkEach, TextProblems } from './memoized';
import { RenderedText, workspacePath } from './plan';
import { checkYamlInBackground } from './yaml-checks';

export interface OutputType {
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

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** HTML: `<%= %>` writes text, never markup, in an element or a quoted attribute. */
const htmlFile: OutputType = {
  escape: (value) => String(value).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]),
  unescape: (text) => text.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => Object.keys(HTML_ENTITIES).find((c) => HTML_ENTITIES[c] === entity)!),
  mode: 0o644,
};

export function outputType(file: string): OutputType {
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
    case '.html':
      return htmlFile;
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
export type ProblemOf = (rendered: RenderedText) => string | undefined;

/** Starts each output type's check on the rendered texts of that type. */
export function startChecks(texts: RenderedText[]): ProblemOf {
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

export const typeOf = ({ template }: RenderedText): OutputType => outputType(basename(template, '.ejs'));

/** A written file over its item's size limit: its size, and the limit with who sets it. */
function sizeProblem({ item, output, text, template }: RenderedText): string | undefined {
  if (output === undefined || !item.maxBytes) return undefined;
  if (item.maxBytes.template && basename(template, '.ejs') !== item.maxBytes.template) return undefined;
  const bytes = Buffer.byteLength(text);
  return bytes > item.maxBytes.limit ? `${bytes} bytes, over the ${item.maxBytes.limit} that ${item.maxBytes.why}` : undefined;
}

export function checkRendered(workspaceRoot: string, outDir: string, rendered: RenderedText, problemOf: ProblemOf): void {
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
