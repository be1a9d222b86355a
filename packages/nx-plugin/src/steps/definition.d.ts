// What a step is, as its step.js declares it: plain data, which project inference reads on every
// Nx command without loading any of the step's code.

/**
 * The kinds of unit, each with its targets and where its code lives:
 *   stack:   a cdktf stack, `@pushbutton/stacks/src/<step>/<unit>.ts`: `<unit>-synth`, `<unit>-apply`, `<unit>-destroy`
 *   effect:  what the AWS provider has no resource for, with the AWS SDK, `<step>/<unit>.ts`: `<unit>`, `<unit>-destroy`
 *   render:  the step's templates (templates/<step>/) rendered with config and facts, `<step>/<unit>.ts`: `<unit>`
 *   deliver: bundles packed from the rendered files and handed to their devices, `<step>/<unit>.ts`: `<unit>`
 */
export type UnitKind = UnitDefinition['kind'];

interface UnitBase {
  /** Unit name; also its target name, or the prefix of its targets, and the name of its module. */
  name: string;
  /** What the unit does, for target descriptions. */
  summary: string;
  /** Units whose facts (outputs) this unit reads; it runs after them. */
  readsFactsOf: string[];
  /** Units it runs after without reading their facts. */
  after?: string[];
  /**
   * Workspace files its code reads besides config and templates, as Nx input globs (core-components
   * names every file under `{workspaceRoot}/components/`): part of its cache key, and of `validate`'s,
   * which checks them.
   */
  inputs?: string[];
}

export interface StackUnit extends UnitBase {
  kind: 'stack';
}

export interface EffectUnit extends UnitBase {
  kind: 'effect';
  /** The npm packages its code calls AWS with: their versions are part of its cache key. */
  packages: string[];
}

export interface RenderUnit extends UnitBase {
  kind: 'render';
}

export interface DeliverUnit extends UnitBase {
  kind: 'deliver';
}

export type UnitDefinition = StackUnit | EffectUnit | RenderUnit | DeliverUnit;

/**
 * An uncached target run on demand, `<step>/<command>.ts`: a report read from AWS on what the step
 * made (the case ledger), or an action taken once (retry).
 */
export interface CommandDefinition {
  /** Target name, and the name of its module. */
  name: string;
  summary: string;
  readsFactsOf: string[];
}

export interface StepDefinition {
  /** Also the name of its folder here, in @pushbutton/stacks, and under templates/. */
  name: string;
  /** What the step does, for its target's description. */
  summary: string;
  /** Its file in the config folder; the step exists when it does. Validated against `schema.json` in the step's folder. */
  configFile: string;
  /** Where its validated settings are in `Settings`. */
  settingsKey: string;
  /** In the order they run. */
  units: UnitDefinition[];
  commands?: CommandDefinition[];
}
