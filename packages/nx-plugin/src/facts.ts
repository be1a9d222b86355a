import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './fs-atomic';
import { paths } from './paths';
import type { Mode } from './terraform/preflight';

/** What a step hands on to the steps after it: its stack's (non-secret) outputs. */
export interface Facts {
  stack: string;
  mode: Mode;
  /** True for a rehearsal: the values are mock values and no such resource exists. */
  rehearsal: boolean;
  values: Record<string, unknown>;
}

export function writeFacts(workspaceRoot: string, facts: Facts): string {
  const file = paths.factsFile(facts.mode, facts.stack);
  const note = facts.rehearsal ? { note: 'Rehearsal: mock values from terraform test; nothing exists in AWS.' } : {};
  writeFileAtomic(join(workspaceRoot, file), JSON.stringify({ ...facts, ...note }, null, 2) + '\n');
  return file;
}

export function readFacts(workspaceRoot: string, mode: Mode, stack: string): Facts | undefined {
  const file = join(workspaceRoot, paths.factsFile(mode, stack));
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Facts) : undefined;
}

export function removeFacts(workspaceRoot: string, mode: Mode, stack: string): void {
  rmSync(join(workspaceRoot, paths.factsFile(mode, stack)), { force: true });
}

/**
 * The facts of other units as Terraform variables: fact `subnet_id` of unit `network` is
 * variable `network_subnet_id`, of `core-account` `core_account_...`. Only the variables
 * the stack declares are passed.
 */
export function factsAsVariables(
  workspaceRoot: string,
  mode: Mode,
  fromStacks: string[],
  declared: string[],
): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const stack of fromStacks) {
    const facts = readFacts(workspaceRoot, mode, stack);
    if (!facts) throw new Error(`${paths.factsFile(mode, stack)} is missing: run the ${stack}-apply target first.`);
    const prefix = stack.replace(/-/g, '_');
    for (const [name, value] of Object.entries(facts.values)) variables[`${prefix}_${name}`] = value;
  }
  return Object.fromEntries(Object.entries(variables).filter(([name]) => declared.includes(name)));
}
