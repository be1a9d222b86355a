// Settings the stacks are built from: the validated contents of config/*.yaml. Each step's own are
// in its folder (`<step>/settings.ts`). No cdktf import, so the plugin imports these cheaply.

export interface ProjectSettings {
  /** Lowercase name; prefixes every resource name and is the `Project` tag. */
  name: string;
  region: string;
  tags: Record<string, string>;
  state: StateSettings;
}

/** The variable a stack declares for the AWS account it is applied in; the apply sets it from STS. */
export const ACCOUNT_ID_VARIABLE = 'aws_account_id';

/** The tags everything a project makes carries. */
export function projectTags(project: ProjectSettings): Record<string, string> {
  return { ...project.tags, Project: project.name, ManagedBy: 'pushbutton' };
}

export type StateSettings =
  | { backend: 'local' }
  | {
      backend: 's3';
      bucket: string;
      /** State of stack `x` is stored at `<keyPrefix>/x.tfstate`. */
      keyPrefix: string;
      region: string;
      /** S3-native state locking (Terraform >= 1.10). */
      useLockfile: boolean;
    };

/**
 * Each step's settings, under its key: each step's settings.ts adds its own to this interface
 * (`declare module '../settings'`), so adding a step edits no list here.
 */
export interface StepSettings {}

/** The whole validated config: each stack reads the parts it needs. */
export type Settings = { project: ProjectSettings } & Partial<StepSettings>;

/** The part of the settings a stack needs, or a clear error naming the missing config file. */
export function required<K extends keyof StepSettings>(settings: Settings, key: K, file: string): NonNullable<StepSettings[K]> {
  const part = settings[key];
  if (!part) throw new Error(`This stack needs config/${file}, which does not exist.`);
  return part as NonNullable<StepSettings[K]>;
}
