// Which template renders to which file: the render items of a step, their templates, and where
// each rendered text is written.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, posix, relative, sep } from 'node:path';
import { memoized } from './memoized';
import type { RenderItem } from './render-step';

/** One render item: its context, its folder in the output, and the templates of its folder (absolute paths, sorted), which it all renders. */
export interface PlannedItem {
  context: Record<string, unknown>;
  /** Posix path, relative to the step's output folder. */
  outDir: string;
  filePrefix: string;
  maxBytes?: RenderItem['maxBytes'];
  templates: string[];
  /** templates/<step>/ (absolute): `rendered('../<folder>/<name>')` may reach any template under it. */
  stepDir: string;
}

/** What one template rendered for one item. */
export interface RenderedText {
  /** Absolute path of the template. */
  template: string;
  item: PlannedItem;
  text: string;
  /** Posix path of the file it is written to, relative to the step's output folder; none for a partial. */
  output?: string;
}

export type RenderedFile = RenderedText & { output: string };

export function planItems(workspaceRoot: string, step: string, items: RenderItem[]): PlannedItem[] {
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
  return { context: item.context, outDir, filePrefix, maxBytes: item.maxBytes, templates, stepDir };
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
export function isPartial(template: string): boolean {
  return basename(template).startsWith('_');
}

export function outputOf(item: PlannedItem, template: string): string {
  return posix.join(item.outDir, item.filePrefix + basename(template, '.ejs'));
}

/** A partial that no template renders would never be checked: it is a mistake, like a template no item renders. */
export function requirePartialsUsed(workspaceRoot: string, planned: PlannedItem[], texts: RenderedText[]): void {
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


/** How messages show a path: relative to the workspace, with forward slashes. */
export function workspacePath(workspaceRoot: string, path: string): string {
  return relative(workspaceRoot, path).split(sep).join('/');
}

