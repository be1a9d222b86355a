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
  /** Core devices' logs in CloudWatch Logs, through the log manager component. */
  logs: { upload: boolean; uploadIntervalSeconds: number; minimumLevel: string };
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

declare module '../settings' {
  interface StepSettings {
    /** config/core.yaml */
    core: CoreSettings;
  }
}
