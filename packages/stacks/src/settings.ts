// Settings the stacks are built from: the validated contents of config/*.yaml.
// No cdktf import, so the plugin can import this module cheaply (`@pushbutton/stacks/src/settings`).

export interface ProjectSettings {
  /** Lowercase name; prefixes every resource name and is the `Project` tag. */
  name: string;
  region: string;
  tags: Record<string, string>;
  state: StateSettings;
}

/** The variable a stack declares for the AWS account it is applied in; the apply sets it from STS. */
export const ACCOUNT_ID_VARIABLE = 'aws_account_id';

/** The workflow step's results bucket is named `<project>-results-<suffix>`; Terraform adds the suffix. */
export const resultsBucketPrefix = (project: string) => `${project}-results-`;

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

export interface IngressRule {
  description: string;
  protocol: 'tcp' | 'udp' | 'icmp';
  fromPort: number;
  toPort: number;
  cidr: string;
}

export interface NetworkSettings {
  vpcCidr: string;
  subnet: { cidr: string; availabilityZone: string };
  /** Keyed by a stable rule name, so reordering the YAML does not churn resources. */
  ingress: Record<string, IngressRule>;
}

export interface GreengrassSettings {
  nucleusVersion: string;
  /** Where the nucleus is installed on the device, e.g. /greengrass/v2. */
  rootPath: string;
  /** The system user and group components run as; the installer creates them if missing. */
  componentUser: string;
  componentGroup: string;
  /** MQTT and the Greengrass data plane on port 443 instead of 8883 and 8443. */
  port443: boolean;
}

/** An edge device that runs the Greengrass nucleus. */
export interface CoreDevice {
  name: string;
  /** The IoT thing: `<project>-<name>`. */
  thingName: string;
  /** `user@host` to deliver and install the bundle over ssh; without it Pushbutton prints the commands. */
  host?: string;
  sshPort: number;
}

/** A test device that discovers its core device and talks MQTT to it. */
export interface ClientDevice {
  name: string;
  /** The IoT thing: `<project>-<name>`. */
  thingName: string;
  /** Name of the core device it connects to. */
  coreDevice: string;
  /** The MQTT topic the sample client publishes and subscribes to. */
  topic: string;
}

export interface CoreSettings {
  greengrass: GreengrassSettings;
  /** The thing group every core device is in: `<project>-cores`. */
  thingGroupName: string;
  coreDevices: Record<string, CoreDevice>;
  clientDevices: Record<string, ClientDevice>;
  /** Components deployed to every core device, name to version. */
  components: Record<string, string>;
  /** The client device auth component's device group, which holds every client device. */
  clientDeviceGroup: string;
}

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

/** The whole validated config: each stack reads the parts it needs. */
export interface Settings {
  project: ProjectSettings;
  network?: NetworkSettings;
  core?: CoreSettings;
  workflows?: WorkflowSettings;
}

/** The part of the settings a stack needs, or a clear error naming the missing config file. */
export function required<K extends keyof Settings>(settings: Settings, key: K, file: string): NonNullable<Settings[K]> {
  const part = settings[key];
  if (!part) throw new Error(`This stack needs config/${file}, which does not exist.`);
  return part as NonNullable<Settings[K]>;
}

/** What the core-devices stack outputs of one device's thing, certificate and policy (its facts). */
export interface CertifiedThing {
  thing_name: string;
  thing_arn: string;
  certificate_id: string;
  certificate_arn: string;
  certificate_pem: string;
  policy_name: string;
}
