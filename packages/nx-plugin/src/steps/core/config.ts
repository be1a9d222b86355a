// The core install step's config: config/core.yaml, validated against schema.json, resolved to IoT
// thing names, and checked for what a JSON Schema cannot express (agreement between devices).
import type { ClientDevice, CoreDevice, CoreSettings } from '@pushbutton/stacks/src/core/settings';
import type { ConfigIssue } from '../../config/config-error';
import type { ConfigFile } from '../../config/config-file';
import type { StepConfig } from '../../config/step-config';
import { resolveCustomComponents } from './custom-components';

const REQUIRED_COMPONENTS = [
  ['aws.greengrass.clientdevices.Auth', 'client device auth'],
  ['aws.greengrass.clientdevices.IPDetector', 'the IP detector'],
  ['aws.greengrass.Cli', 'the Greengrass CLI'],
] as const;
export const MQTT_BROKERS = ['aws.greengrass.clientdevices.mqtt.Moquette', 'aws.greengrass.clientdevices.mqtt.EMQX'];
/** The component that uploads core devices' logs to CloudWatch Logs. */
export const LOG_MANAGER = 'aws.greengrass.LogManager';

/** Cross-field rules of core.yaml: clients name a core that exists, and every core gets what client devices need. */
function coreIssues(file: ConfigFile, core: CoreSettings): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const cores = Object.keys(core.coreDevices);
  for (const client of Object.values(core.clientDevices)) {
    if (core.coreDevices[client.name]) {
      issues.push(file.issue(['clientDevices', client.name], 'a name no core device has (both become IoT things)', JSON.stringify(client.name), 'key'));
    }
    if (!cores.includes(client.coreDevice)) {
      issues.push(file.issue(['clientDevices', client.name, 'coreDevice'], `one of the core devices: ${cores.join(', ')}`, JSON.stringify(client.coreDevice)));
    }
  }
  const components = Object.keys(core.components);
  for (const [name, what] of REQUIRED_COMPONENTS) {
    if (!components.includes(name)) issues.push(file.issue(['components'], `a version for ${name} (${what})`, 'none'));
  }
  if (!MQTT_BROKERS.some((broker) => components.includes(broker))) {
    issues.push(file.issue(['components'], `an MQTT broker: a version for ${MQTT_BROKERS.join(' or ')}`, 'none'));
  }
  if (core.logs.upload && !components.includes(LOG_MANAGER)) {
    issues.push(file.issue(['logs', 'upload'], `false, or a version for ${LOG_MANAGER} under components, which uploads the logs`, 'true'));
  }
  return issues;
}

/** The two thing groups must differ; at least one of them is set (the defaults differ), so point there. */
function thingGroupIssues(file: ConfigFile, core: CoreSettings, given: RawCore['thingGroups']): ConfigIssue[] {
  if (core.thingGroupName !== core.clientThingGroupName) return [];
  const key = given.clients !== undefined ? 'clients' : 'cores';
  return [file.issue(['thingGroups', key], 'a thing group apart from the other devices\' one (cores and clients are in groups of their own)', JSON.stringify(core.clientThingGroupName))];
}

/** A client's `broker: host[:port]` (schema.json checks its form), on Greengrass's MQTT port 8883 unless given. */
function brokerAddress(text: string): { host: string; port: number } {
  const [, host, port] = /^(.*?)(?::([0-9]+))?$/.exec(text)!;
  return { host, port: port === undefined ? 8883 : Number(port) };
}

type RawCore = Omit<CoreSettings, 'thingGroupName' | 'clientThingGroupName' | 'coreDevices' | 'clientDevices' | 'customComponents'> & {
  thingGroups: { cores?: string; clients?: string };
  customComponents: string[];
  coreDevices: Record<string, (Omit<CoreDevice, 'name' | 'thingName' | 'sshPort'> & { sshPort?: number }) | null>;
  clientDevices: Record<string, Omit<ClientDevice, 'name' | 'thingName' | 'broker'> & { broker?: string }>;
};

export const config: StepConfig<RawCore, CoreSettings> = {
  resolve({ file, data, project, projectFile, workspace }) {
    // Thing names carry the project's name, so two projects can share an account.
    const thingName = (name: string) => `${project?.name ?? 'project'}-${name}`;
    const { thingGroups, ...rest } = data;
    // The custom components' folders, checked here so a bad recipe stops the run before anything is uploaded.
    const custom = resolveCustomComponents({ file, names: data.customComponents, components: data.components, workspace, project, projectFile });
    const settings: CoreSettings = {
      ...rest,
      customComponents: custom.components,
      thingGroupName: thingGroups.cores ?? thingName('cores'),
      clientThingGroupName: thingGroups.clients ?? thingName('clients'),
      coreDevices: Object.fromEntries(
        Object.entries(data.coreDevices).map(([name, d]) => [name, { sshPort: 22, ...d, name, thingName: thingName(name) }]),
      ),
      clientDevices: Object.fromEntries(
        Object.entries(data.clientDevices).map(([name, { broker, ...c }]) => [
          name,
          { ...c, name, thingName: thingName(name), ...(broker === undefined ? {} : { broker: brokerAddress(broker) }) },
        ]),
      ),
    };
    return { settings, issues: [...coreIssues(file, settings), ...thingGroupIssues(file, settings, thingGroups), ...custom.issues] };
  },
};
