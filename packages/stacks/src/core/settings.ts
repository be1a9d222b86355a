// The core install step's settings: config/core.yaml, validated; and what its stacks hand on.

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
  /** Absolute, on the host: the folder the bundle is copied to and unpacked in; by default the login's home. */
  bundleDir?: string;
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
  /**
   * `broker: host[:port]`: where the client's broker test connects without discovery (port 8883
   * unless given). Without it, the test reads the core's connectivity info, or takes `--host`.
   */
  broker?: { host: string; port: number };
}

export interface CoreSettings {
  greengrass: GreengrassSettings;
  /** The thing group every core device is in: `thingGroups.cores`, by default `<project>-cores`. */
  thingGroupName: string;
  /** The thing group every client device is in: `thingGroups.clients`, by default `<project>-clients`. */
  clientThingGroupName: string;
  coreDevices: Record<string, CoreDevice>;
  clientDevices: Record<string, ClientDevice>;
  /** Components deployed to every core device, name to version. */
  components: Record<string, string>;
  /**
   * The lab's own components (`customComponents`), by name, deployed to every core device with the
   * others: each from its folder `components/<name>/` in the workspace. None when not given.
   */
  customComponents?: Record<string, CustomComponent>;
  /** The client device auth component's device group, which holds every client device. */
  clientDeviceGroup: string;
  /** Core devices' logs in CloudWatch Logs, through the log manager component. */
  logs: { upload: boolean; uploadIntervalSeconds: number; minimumLevel: string };
}

/** A custom component: a recipe and its artifacts in the workspace, checked by `validate`. */
export interface CustomComponent {
  /** Its folder's name, `components/<name>/`, and its recipe's ComponentName. */
  name: string;
  /** Its recipe's ComponentVersion. */
  version: string;
  /** Its recipe, relative to the workspace root: `components/<name>/recipe.yaml` or `recipe.json`. */
  recipeFile: string;
  /** The file names of its artifacts in `components/<name>/artifacts/` that its recipe names. */
  artifacts: string[];
}

/**
 * The component bucket's name prefix (Terraform appends a unique suffix): private, encrypted, the
 * custom components' artifacts, which core devices may read and nothing else.
 */
export const componentBucketPrefix = (project: string) => `${project}-components-`;

/** What the core-devices stack outputs of one device's thing, certificate and policy (its facts). */
export interface CertifiedThing {
  thing_name: string;
  thing_arn: string;
  certificate_id: string;
  certificate_arn: string;
  certificate_pem: string;
  policy_name: string;
}

declare module '../settings' {
  interface StepSettings {
    /** config/core.yaml */
    core: CoreSettings;
  }
}
