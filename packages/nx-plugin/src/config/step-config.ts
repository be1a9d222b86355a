import type { ProjectSettings } from '@pushbutton/stacks';
import type { ConfigIssue } from './config-error';
import type { ConfigFile } from './config-file';

/**
 * The workspace's files outside config that config names (a custom component's recipe and artifacts),
 * by path relative to the workspace root: on disk, or in a generator's tree.
 */
export interface WorkspaceFiles {
  /** A file's text, or `undefined` if there is no such file. */
  read(path: string): string | undefined;
  /** The names of the files (not folders) directly in a folder, or `undefined` if there is no such folder. */
  list(dir: string): string[] | undefined;
}

/** What a step's config.ts exports as `config`: how its file, once valid against its schema, becomes settings. */
export interface StepConfig<Raw, Resolved> {
  /** Turns schema-valid data into the step's settings, reporting what the schema cannot check. */
  resolve(input: { file: ConfigFile; data: Raw; project?: ProjectSettings; projectFile?: ConfigFile; workspace: WorkspaceFiles }): {
    settings?: Resolved;
    issues: ConfigIssue[];
  };
}
