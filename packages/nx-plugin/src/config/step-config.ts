import type { ProjectSettings } from '@pushbutton/stacks';
import type { ConfigIssue } from './config-error';
import type { ConfigFile } from './config-file';

/** What a step's config.ts exports as `config`: how its file, once valid against its schema, becomes settings. */
export interface StepConfig<Raw, Resolved> {
  /** Turns schema-valid data into the step's settings, reporting what the schema cannot check. */
  resolve(input: { file: ConfigFile; data: Raw; project?: ProjectSettings; projectFile?: ConfigFile }): { settings?: Resolved; issues: ConfigIssue[] };
}
