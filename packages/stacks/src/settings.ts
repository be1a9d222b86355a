// Settings the stacks are built from: the validated contents of config/*.yaml.
// No cdktf import, so the plugin can import this module cheaply (`@pushbutton/stacks/src/settings`).

export interface ProjectSettings {
  /** Lowercase name; prefixes every resource name and is the `Project` tag. */
  name: string;
  region: string;
  tags: Record<string, string>;
  state: StateSettings;
}

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

/** The whole validated config: each stack reads the parts it needs. */
export interface Settings {
  project: ProjectSettings;
  network?: NetworkSettings;
  core?: CoreSettings;
}

/** The part of the settings a stack needs, or a clear error naming the missing config file. */
export function required<K extends keyof Settings>(settings: Settings, key: K, file: string): NonNullable<Settings[K]> {
  const part = settings[key];
  if (!part) throw new Error(`This stack needs config/${file}, which does not exist.`);
  return part as NonNullable<Settings[K]>;
}
