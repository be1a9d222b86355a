// The code of each kind of unit, and where it is: a step's unit `<unit>` of kind effect, render or
// deliver is the default export of `<step>/<unit>.ts` here; a command `<command>` of `<step>/<command>.ts`;
// a stack unit of `@pushbutton/stacks/src/<step>/<unit>.ts`. Derived from the registry, never listed.
import type { Settings, StackBuilder } from '@pushbutton/stacks';
import type { Bundle } from '../bundles/deliver-bundle';
import type { FactsByUnit } from '../facts';
import type { Mode } from '../mode';
import type { RenderItem } from '../render/render-step';
import type { StateParts } from '../state-token';
import type { CommandDefinition, StepDefinition, UnitDefinition } from './definition';
import { requireWhenNeeded } from '../typescript-source';
import { STEPS, unitNamed } from './registry';

export type FactValues = Record<string, unknown>;

export interface EffectContext {
  /** The validated config. */
  settings: Settings;
  /** The facts of the units this effect reads, by unit name (e.g. `core-devices`). */
  facts: Record<string, FactValues>;
  region: string;
  /** live, or rehearse (for effects that keep a record of what a rehearsal planned). */
  mode: Mode;
  /** Absolute; where `.pushbutton/` is (rendered files, rehearsal records). */
  workspaceRoot: string;
  /** Progress for the person watching: one line each. */
  print: (line: string) => void;
}

export interface EffectResult {
  /** What the effect hands on to later units. No secrets. */
  facts: FactValues;
  /**
   * What could not be done yet and is not an error (e.g. a core device that has not
   * connected to Greengrass yet). When not empty, the next provision runs the effect again.
   */
  pending: string[];
}

/**
 * What the AWS provider has no resource for, done with the AWS SDK v3: an effect makes AWS match
 * the config idempotently (it reads first and changes only what differs), says in a rehearsal what
 * it would do without calling AWS, and undoes itself on destroy.
 */
export interface Effect {
  apply(ctx: EffectContext): Promise<EffectResult>;
  /** What apply would do, printed; returns mock facts. Must not call AWS. */
  rehearse(ctx: EffectContext): EffectResult;
  /** Undoes apply; safe to call when there is nothing to undo. */
  destroy(ctx: EffectContext): Promise<void>;
  /** What the effect's world is locally, where it keeps one (a rehearsal's record of planned cases). */
  stateParts?(ctx: EffectContext): StateParts;
}

/** The options a command is run with, as Nx passes them from the command line. */
export interface CommandOptions {
  /** Reports: machine-readable JSON instead of a table, for scripts. */
  json?: boolean;
  [option: string]: unknown;
}

/** An uncached command on what a step made: a report (`core-status`, the case ledger) or an action (retry). */
export interface Command {
  /** The options it takes (beyond `mode`); any other is an error. */
  options: string[];
  /** Its output (a table, or JSON), from AWS. */
  run(ctx: EffectContext, options: CommandOptions): Promise<string>;
  /** What it would show or do in a rehearsal, without calling AWS. */
  rehearse(ctx: EffectContext, options: CommandOptions): string;
  /**
   * With none of the facts it reads (never provisioned, or destroyed): what AWS still holds of the
   * project that this command would show, one line each, found without facts (`ctx.facts` is empty).
   */
  leftovers?(ctx: EffectContext): Promise<string[]>;
}

/** A render unit: the render items of its step's templates (templates/<step>/), from config and facts. */
export type RenderPlan = (settings: Settings, facts: FactsByUnit, rehearsal: boolean) => RenderItem[];

/** A deliver unit: the bundles it packs, from what, and where each one goes. */
export type DeliveryPlan = (settings: Settings, workspaceRoot: string, mode: Mode) => Bundle[];

/** The code of each unit kind. */
export interface UnitCode {
  stack: StackBuilder;
  effect: Effect;
  render: RenderPlan;
  deliver: DeliveryPlan;
}

function unknownKind(unit: never): never {
  throw new Error(`Unit ${(unit as UnitDefinition).name} is of no kind Pushbutton knows: ${(unit as UnitDefinition).kind}`);
}

/** Where a unit's code is, for `require`. */
export function unitModule(step: StepDefinition, unit: UnitDefinition): string {
  switch (unit.kind) {
    case 'stack':
      return `@pushbutton/stacks/src/${step.name}/${unit.name}`;
    case 'effect':
    case 'render':
    case 'deliver':
      return `./${step.name}/${unit.name}`;
    default:
      return unknownKind(unit);
  }
}

export const commandModule = (step: StepDefinition, command: CommandDefinition) => `./${step.name}/${command.name}`;

/** Loads a module by a path relative to this folder, or a package path. */
export type Load = (module: string) => { default?: unknown };
export const loadModule: Load = (module) => requireWhenNeeded(require, module, __filename.endsWith('.ts'));

/**
 * One unit's code, loaded when its task runs: a task loads its own unit's code and the libraries
 * that code uses, not every unit's (up to a tenth of a second of CPU a task, beside Terraform).
 */
export function unitCode<K extends keyof UnitCode>(kind: K, unitName: string, load: Load = loadModule): UnitCode[K] {
  const { step, unit } = unitNamed(unitName);
  if (unit.kind !== kind) throw new Error(`Unit ${unitName} is of kind ${unit.kind}, not ${kind}.`);
  return load(unitModule(step, unit)).default as UnitCode[K];
}

/** The code of every unit of a kind, by unit name. */
export function codeOf<K extends keyof UnitCode>(kind: K, load: Load = loadModule): Record<string, UnitCode[K]> {
  const units = STEPS.flatMap((step) => step.units).filter((unit) => unit.kind === kind);
  return Object.fromEntries(units.map((unit) => [unit.name, unitCode(kind, unit.name, load)]));
}

/** Every command's code, by command name. */
export function commandsCode(load: Load = loadModule): Record<string, Command> {
  return Object.fromEntries(STEPS.flatMap((step) => (step.commands ?? []).map((command) => [command.name, load(commandModule(step, command)).default as Command])));
}
