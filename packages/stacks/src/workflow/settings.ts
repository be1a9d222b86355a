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
  /** The EC2 instance type: each case's own VM (engine ec2), or one the Batch compute environment may start. */
  instanceType: string;
  /** What one case needs (engine batch: the job's vCPUs and memory; the runner gives the command `$VCPUS`). */
  vcpus: number;
  memoryMiB: number;
  /** The container image its Batch jobs run in; launch.batch.image if not given. */
  image?: string;
  /** Batch jobs run as privileged containers (e.g. for Singularity/Apptainer). */
  privileged: boolean;
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

export const ENGINES = ['batch', 'ec2'] as const;
export type Engine = (typeof ENGINES)[number];

/** The AWS Batch engine: a managed compute environment that scales to zero, a queue, and a job definition per workflow. */
export interface BatchSettings {
  /** on-demand, or spot (cheaper; a job whose host Spot reclaims is retried). */
  capacity: 'on-demand' | 'spot';
  /** The most vCPUs the compute environment runs at once. */
  maxVcpus: number;
  /** The container image jobs run in, unless a workflow names its own. */
  image: string;
}

/** What a person sees of running cases: logs, metrics, a dashboard and alarms. */
export interface MonitoringSettings {
  /** How long CloudWatch Logs keeps the cases' logs. */
  logRetentionDays: number;
  /** Alarms go to this address too, by e-mail (SNS). */
  alarmEmail?: string;
  /** A running case past this share of its timeout raises the overdue alarm. */
  overdueShare: number;
}


/** Where Pushbutton keeps what Batch jobs read (their case manifests), at the bucket's root: never under the results prefix workers write. */
export const JOBS_PREFIX = '_pushbutton/jobs';

export interface WorkflowSettings {
  results: {
    /** Results of case `c` are under `s3://<bucket>/<prefix>/<c>/`. */
    prefix: string;
    /** On destroy, keep the results bucket (Terraform forgets it instead of deleting it). */
    keepOnDestroy: boolean;
  };
  launch: {
    /** batch: AWS Batch queues every case; ec2: one plain VM per case, started by provision. */
    engine: Engine;
    /** engine ec2: at most this many case instances run at once; the rest wait for the next provision. */
    maxConcurrent: number;
    /** The workers' AMI, or `resolve:ssm:<parameter>` to take the current one when launching. */
    imageId: string;
    rootVolumeGiB: number;
    batch: BatchSettings;
  };
  monitoring: MonitoringSettings;
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
