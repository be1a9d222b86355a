// The strict template engine: every file Pushbutton renders that is not Terraform comes from
// templates/<step>/*.ejs through here. A name the context lacks is an error, not an empty string;
// `<%= %>` escapes for the file being written; the output replaces the old folder only when all
// of it rendered and checks out.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { replaceDirectory } from '../fs-atomic';
import { checkRendered, outputType, startChecks } from './output-types';
import { planItems, RenderedFile, requirePartialsUsed } from './plan';
import { contextCopier, renderItem, templateCompiler } from './strict-ejs';

export { TemplateError } from './strict-ejs';

export interface RenderItem {
  /** A folder directly under templates/<step>/ whose *.ejs files this item renders ('' = the step folder itself; not recursive). */
  templateDir: string;
  /** Where the rendered files go, relative to the step's render output folder, e.g. 'devices/lab-gateway'. */
  outDir: string;
  /** Put before the name of each file the item writes, so items can share a folder: `c-0123.` writes `c-0123.user-data.yaml`. */
  filePrefix?: string;
  /**
   * The most bytes a file the item writes may have (those of template `template`, or all), and who
   * says so: the render fails before writing anything larger.
   */
  maxBytes?: { limit: number; why: string; template?: string };
  /**
   * What its templates read: each name as a variable, or, if it cannot be one (`case`), as `locals.case`.
   * Data is copied for the templates; a function at the top (a helper such as gzipBase64) is given to them as it is.
   */
  context: Record<string, unknown>;
}

/**
 * Renders every template of templates/<step>/ for its items into outDir (absolute), replacing what was there; returns the rendered files, relative to outDir, sorted.
 * Besides its item's context, every template can call `rendered(name)`: the rendered text of `<name>.ejs` in its own folder, for the same item.
 * A template whose name starts with `_` is a partial: it renders only through `rendered()`, and is checked but not written.
 */
export function renderStep(options: { workspaceRoot: string; step: string; outDir: string; items: RenderItem[] }): string[] {
  const { workspaceRoot, outDir } = options;
  const { texts, files, problemOf } = renderAll(options);
  // Written aside while checks run in the background; it replaces the output only if every text checks out.
  const staging = writeStaging(outDir, files);
  try {
    for (const text of texts) checkRendered(workspaceRoot, outDir, text, problemOf);
    replaceDirectory(staging, outDir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return files.map((file) => file.output).sort();
}

/**
 * Renders and checks items as renderStep does, writing nothing: each file's text by its path in
 * the output (`outDir` names the output in messages). For what a run renders again with other
 * values, such as a retry's user-data.
 */
export function renderInMemory(options: { workspaceRoot: string; step: string; outDir: string; items: RenderItem[] }): Map<string, string> {
  const { texts, files, problemOf } = renderAll(options);
  for (const text of texts) checkRendered(options.workspaceRoot, options.outDir, text, problemOf);
  return new Map(files.map((file) => [file.output, file.text]));
}

/** Every text the items render (files and the partials they use), and their checks started. */
function renderAll({ workspaceRoot, step, items }: { workspaceRoot: string; step: string; items: RenderItem[] }) {
  const planned = planItems(workspaceRoot, step, items);
  const compile = templateCompiler(workspaceRoot);
  const copyContext = contextCopier();
  const texts = planned.flatMap((item) => renderItem(workspaceRoot, compile, copyContext(item.context), item));
  requirePartialsUsed(workspaceRoot, planned, texts);
  const problemOf = startChecks(texts);
  const files = texts.filter((text): text is RenderedFile => text.output !== undefined);
  return { texts, files, problemOf };
}

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

