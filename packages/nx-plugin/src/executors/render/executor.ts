import type { ExecutorContext } from '@nx/devkit';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { paths } from '../../paths';
import { renderStep } from '../../render/render-step';
import { unitCode } from '../../steps/kinds';
import type { Mode } from '../../mode';
import { runExecutor } from '../run-executor';
import { unitContext } from '../unit-context';

export interface RenderExecutorOptions {
  unit: string;
  mode: Mode;
}

const SHOWN_FILES = 20;

/** Each file under dir (relative path) with a hash of its content. */
function snapshot(dir: string): Map<string, string> {
  if (!existsSync(dir)) return new Map();
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  return new Map(
    files.map((entry) => {
      const file = join(entry.parentPath, entry.name);
      return [relative(dir, file), createHash('sha256').update(readFileSync(file)).digest('hex')];
    }),
  );
}

/** What this render changed, against what was there before: the files a reviewer should look at. */
function describeChanges(before: Map<string, string>, after: Map<string, string>): string {
  const added = [...after.keys()].filter((file) => !before.has(file));
  const changed = [...after.keys()].filter((file) => before.has(file) && before.get(file) !== after.get(file));
  const removed = [...before.keys()].filter((file) => !after.has(file));
  const unchanged = after.size - added.length - changed.length;
  const listed = [...added.map((f) => `  + ${f}`), ...changed.map((f) => `  ~ ${f}`), ...removed.map((f) => `  - ${f}`)];
  const more = listed.length > SHOWN_FILES ? [`  ... and ${listed.length - SHOWN_FILES} more`] : [];
  const counts = `${added.length} new, ${changed.length} changed, ${removed.length} removed, ${unchanged} unchanged`;
  return [`${after.size} files: ${counts}`, ...listed.slice(0, SHOWN_FILES), ...more].join('\n');
}

export default async function renderExecutor(options: RenderExecutorOptions, context: ExecutorContext) {
  return runExecutor(async () => {
    const { step, settings, effectContext, root } = unitContext(options.unit, options.mode, context);
    const outDir = paths.renderDir(options.mode, step.name);
    const before = snapshot(join(root, outDir));
    const items = unitCode('render', options.unit)(settings, effectContext.facts, options.mode === 'rehearse');
    renderStep({ workspaceRoot: root, step: step.name, outDir: join(root, outDir), items });
    const note = options.mode === 'rehearse' ? ' (with mock facts)' : '';
    console.log(`Rendered templates/${step.name}${note} into ${outDir}, ${items.length} items. ${describeChanges(before, snapshot(join(root, outDir)))}`);
  });
}
