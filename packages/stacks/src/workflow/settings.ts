// The workflow step's settings: config/workflows.yaml, validated.

/** The workflow step's results bucket is named `<project>-results-<suffix>`; Terraform adds the suffix. */
export const resultsBucketPrefix = (project: string) => `${project}-results-`;

/** A file a workflow reads, fetched onto the worker before it runs. */
export interface WorkflowInput {
  /** `https://...` or `s3://bucket/key` (public: workers may only write results). */
  url: string;
  /** Where it goes, relative to the workflow's working directory. */
  path: string;
}

/** A command-line workflow: how to set up a worker for it, run it, and what to keep. */
export interface WorkflowDefinition {
  name: string;
  description: string;
  instanceType: string;
  /** The watchdog ends a case that runs longer. */
  timeoutMinutes: number;
  /** Debian/Ubuntu packages installed first. */
  packages: string[];
  /** Shell commands, run once as root before the workflow (install tools, check out code). */
  setup: string[];
  /** Absolute path the command runs in; config.json and params.json are written there. */
  workdir: string;
  /** The command line, run in `workdir`. */
  command: string;
  /** Written to `config.json` (for dahak: `workflow_targets`). */
  config: Record<string, unknown>;
  /** Default parameters, written to `params.json` with each case's overrides merged in. */
  parameters: Record<string, unknown>;
  inputs: WorkflowInput[];
  /** Paths, relative to `workdir`, uploaded as the case's outputs. */
  outputs: string[];
}

/** One parameter study: a workflow, base overrides, and a matrix of values to combine. */
export interface StudySettings {
  name: string;
  workflow: string;
  /** Overrides every case of the study shares. */
  parameters: Record<string, unknown>;
  inputs?: WorkflowInput[];
  /** Dotted parameter path (`read_filtering.quality_trimming.qual`) to the values to try. */
  matrix: Record<string, unknown[]>;
  /** Extra combinations, each a set of dotted paths and values. */
  include: Record<string, unknown>[];
  /** Combinations to leave out: any combination that has all of an entry's values. */
  exclude: Record<string, unknown>[];
}

/** One case written out in config: a workflow and its parameter overrides. */
export interface CaseSettings {
  workflow: string;
  label?: string;
  parameters: Record<string, unknown>;
  inputs?: WorkflowInput[];
}

export interface WorkflowSettings {
  results: {
    /** Results of case `c` are under `s3://<bucket>/<prefix>/<c>/`. */
    prefix: string;
    /** On destroy, keep the results bucket (Terraform forgets it instead of deleting it). */
    keepOnDestroy: boolean;
  };
  launch: {
    /** At most this many case instances run at once; the rest wait for the next provision. */
    maxConcurrent: number;
    /** The workers' AMI, or `resolve:ssm:<parameter>` to take the current one when launching. */
    imageId: string;
    rootVolumeGiB: number;
  };
  workflows: Record<string, WorkflowDefinition>;
  cases: CaseSettings[];
  studies: Record<string, StudySettings>;
}

declare module '../settings' {
  interface StepSettings {
    /** config/workflows.yaml */
    workflows: WorkflowSettings;
  }
}
