// What the AWS provider has no resource for, done with the AWS SDK v3: an effect makes AWS
// match the config idempotently (it reads first and changes only what differs), says in a
// rehearsal what it would do without calling AWS, and undoes itself on destroy.
import type { Settings } from '@pushbutton/stacks';
import type { StateParts } from '../state-token';
import type { Mode } from '../terraform/preflight';

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

export interface Effect {
  apply(ctx: EffectContext): Promise<EffectResult>;
  /** What apply would do, printed; returns mock facts. Must not call AWS. */
  rehearse(ctx: EffectContext): EffectResult;
  /** Undoes apply; safe to call when there is nothing to undo. */
  destroy(ctx: EffectContext): Promise<void>;
  /** What the effect's world is locally, where it keeps one (a rehearsal's record of planned cases). */
  stateParts?(ctx: EffectContext): StateParts;
}

export interface ReportOptions {
  /** Machine-readable JSON instead of a table, for scripts. */
  json: boolean;
}

/** An uncached report on what a step made (e.g. `core-status`, the case ledger). */
export interface Report {
  /** The report as text (a table, or JSON), read from AWS. */
  run(ctx: EffectContext, options: ReportOptions): Promise<string>;
  /** What the report would show in a rehearsal, without calling AWS. */
  rehearse(ctx: EffectContext, options: ReportOptions): string;
}
