// The core install step's config: config/core.yaml, validated against schema.json, resolved to IoT
// thing names, and checked for what a JSON Schema cannot express (agreement between devices).
import type { ClientDevice, CoreDevice, CoreSettings } from '@pushbutton/stacks/src/core/settings';
import type { ConfigIssue } from '../../config/config-error';
import type { ConfigFile } from '../../config/config-file';
import type { StepConfig } from '../../config/step-config';

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

type RawCore = Omit<CoreSettings, 'thingGroupName' | 'coreDevices' | 'clientDevices'> & {
  coreDevices: Record<string, (Omit<CoreDevice, 'name' | 'thingName' | 'sshPort'> & { sshPort?: number }) | null>;
  clientDevices: Record<string, Omit<ClientDevice, 'name' | 'thingName'>>;
};

export const config: StepConfig<RawCore, CoreSettings> = {
  resolve({ file, data, project }) {
    // Thing names carry the project's name, so two projects can share an account.
    const thingName = (name: string) => `${project?.name ?? 'project'}-${name}`;
    const settings: CoreSettings = {
      ...data,
      thingGroupName: thingName('cores'),
      coreDevices: Object.fromEntries(
        Object.entries(data.coreDevices).map(([name, d]) => [name, { sshPort: 22, ...d, name, thingName: thingName(name) }]),
      ),
      clientDevices: Object.fromEntries(
        Object.entries(data.clientDevices).map(([name, c]) => [name, { ...c, name, thingName: thingName(name) }]),
      ),
    };
    return { settings, issues: coreIssues(file, settings) };
  },
};
