import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './fs-atomic';
import { paths } from './paths';
import type { Mode } from './mode';

/** What a unit hands on to the units after it: a stack's (non-secret) outputs, an effect's results. */
export interface Facts {
  unit: string;
  mode: Mode;
  /** True for a rehearsal: the values are mock values and no such resource exists. */
  rehearsal: boolean;
  values: Record<string, unknown>;
}

export function writeFacts(workspaceRoot: string, facts: Facts): string {
  const file = paths.factsFile(facts.mode, facts.unit);
  const note = facts.rehearsal ? { note: 'Rehearsal: mock values from terraform test; nothing exists in AWS.' } : {};
  writeFileAtomic(join(workspaceRoot, file), JSON.stringify({ ...facts, ...note }, null, 2) + '\n');
  return file;
}

export function readFacts(workspaceRoot: string, mode: Mode, unit: string): Facts | undefined {
  const file = join(workspaceRoot, paths.factsFile(mode, unit));
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Facts) : undefined;
}

/** The values of several units' facts, by unit name. */
export type FactsByUnit = Record<string, Record<string, unknown>>;

/** The facts of the given units, by unit name; a unit that has none yet is an error naming what to run. */
export function readFactsOf(workspaceRoot: string, mode: Mode, units: string[]): FactsByUnit {
  return Object.fromEntries(
    units.map((unit) => {
      const facts = readFacts(workspaceRoot, mode, unit);
      if (!facts) {
        const provision = mode === 'live' ? 'npx nx run infra:provision' : 'npx nx run infra:provision:rehearse';
        throw new Error(`${paths.factsFile(mode, unit)} is missing: ${unit} has not run in ${mode} mode yet. Run \`${provision}\` first.`);
      }
      return [unit, facts.values];
    }),
  );
}

/**
 * A fact that must be a non-empty string, at a path into a unit's values (`['core_devices', name,
 * 'certificate_pem']`); else an error for what needs it that names the unit and fact.
 */
export function stringFact(facts: FactsByUnit, neededFor: string, unit: string, path: string[]): string {
  const values = facts[unit];
  if (!values) throw new Error(`${neededFor} needs the facts of ${unit}, which were not read: apply ${unit} first.`);
  const value = path.reduce<unknown>((node, key) => (isRecord(node) && Object.hasOwn(node, key) ? node[key] : undefined), values);
  if (typeof value === 'string' && value !== '') return value;
  const found = value === undefined ? 'missing' : `${JSON.stringify(value)}, not a non-empty string`;
  throw new Error(`${neededFor} needs fact ${path.join('.')} of ${unit}, which is ${found}: apply ${unit} again.`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function removeFacts(workspaceRoot: string, mode: Mode, unit: string): void {
  rmSync(join(workspaceRoot, paths.factsFile(mode, unit)), { force: true });
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
  for (const [unit, values] of Object.entries(readFactsOf(workspaceRoot, mode, fromStacks))) {
    const prefix = unit.replace(/-/g, '_');
    for (const [name, value] of Object.entries(values)) variables[`${prefix}_${name}`] = value;
  }
  return Object.fromEntries(Object.entries(variables).filter(([name]) => declared.includes(name)));
}
