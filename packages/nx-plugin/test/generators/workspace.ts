import { logger, Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initGenerator } from '../../src/generators/init/generator';
import type { InitGeneratorSchema } from '../../src/generators/init/schema';

/** Pushbutton's own repository: its config/ and templates/ are the starters. */
export const REPOSITORY = join(__dirname, '../../../..');

export function repositoryText(path: string): string {
  return readFileSync(join(REPOSITORY, path), 'utf8');
}

/** What a generator prints, collected instead of shown. */
export function captureLog(): { info: () => string; warn: () => string } {
  const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  // Called once per file: each test sees only what it printed.
  beforeEach(() => {
    info.mockClear();
    warn.mockClear();
  });
  const text = (spy: { mock: { calls: unknown[][] } }) => spy.mock.calls.map((call) => call.join(' ')).join('\n');
  return { info: () => text(info), warn: () => text(warn) };
}

/** A new Nx workspace with Pushbutton set up by init. */
export function initializedWorkspace(options: InitGeneratorSchema = {}): Tree {
  const tree = createTreeWithEmptyWorkspace();
  initGenerator(tree, options);
  return tree;
}

/** The config in the tree, validated as `nx run infra:validate` validates it on disk. */
export { validateConfig as treeConfig } from '../../src/generators/workspace-config';

/** Every change in the tree with its content, to show that a failed generator changed nothing. */
export function changes(tree: Tree): Record<string, string> {
  return Object.fromEntries(tree.listChanges().map((change) => [change.path, `${change.type} ${change.content?.toString('utf8') ?? ''}`]));
}

/** The error `run` throws. */
export function thrownBy(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
