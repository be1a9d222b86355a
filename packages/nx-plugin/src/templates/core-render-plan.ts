// What templates/core renders: per core device its Greengrass config, install and uninstall
// scripts, README and certificate; per client device its discovery script, README and certificate.
import type { ClientDevice, CoreDevice, CoreSettings, Settings } from '@pushbutton/stacks';
import type { RenderItem } from './render-templates';

type Facts = Record<string, Record<string, unknown>>;

export function coreRenderItems(settings: Settings, facts: Facts, rehearsal: boolean): RenderItem[] {
  const core = settings.core;
  if (!core) throw new Error('The core step needs config/core.yaml, which does not exist.');
  const shared = {
    project: { name: settings.project.name, region: settings.project.region },
    rehearsal,
    greengrass: core.greengrass,
    endpoints: {
      data: stringFact(facts, 'core-account-link', ['iot_data_endpoint']),
      credentials: stringFact(facts, 'core-account-link', ['iot_credential_endpoint']),
    },
    roleAlias: stringFact(facts, 'core-account', ['role_alias_name']),
    config: settings,
    facts,
  };
  return [
    ...Object.values(core.coreDevices).map((device) => ({
      templateDir: 'device',
      outDir: `devices/${device.name}`,
      context: { ...shared, device: deviceContext(device, facts) },
    })),
    ...Object.values(core.clientDevices).map((client) => ({
      templateDir: 'client',
      outDir: `clients/${client.name}`,
      context: { ...shared, client: clientContext(client, core, facts) },
    })),
  ];
}

function deviceContext(device: CoreDevice, facts: Facts) {
  return {
    name: device.name,
    thingName: device.thingName,
    certificatePem: pem(stringFact(facts, 'core-devices', ['core_devices', device.name, 'certificate_pem'])),
    host: device.host ?? '',
    sshPort: device.sshPort,
    bundleName: `pushbutton-core-${device.name}`,
  };
}

function clientContext(client: ClientDevice, core: CoreSettings, facts: Facts) {
  const coreDevice = core.coreDevices[client.coreDevice];
  if (!coreDevice) throw new Error(`Client device ${client.name} connects to core device ${client.coreDevice}, which config/core.yaml does not define.`);
  return {
    name: client.name,
    thingName: client.thingName,
    topic: client.topic,
    certificatePem: pem(stringFact(facts, 'core-devices', ['client_devices', client.name, 'certificate_pem'])),
    coreDevice: { name: coreDevice.name, thingName: coreDevice.thingName },
    bundleName: `pushbutton-client-${client.name}`,
  };
}

/** A fact of a unit, at a path into its value; a clear error naming the unit and fact when it is not there. */
function stringFact(facts: Facts, unit: string, path: string[]): string {
  const name = path.join('.');
  const values = facts[unit];
  if (!values) throw new Error(`Rendering the core step needs the facts of ${unit}, which were not read: apply ${unit} first.`);
  const value = path.reduce<unknown>((node, key) => (isRecord(node) && Object.hasOwn(node, key) ? node[key] : undefined), values);
  if (typeof value === 'string' && value !== '') return value;
  const found = value === undefined ? 'missing' : `${JSON.stringify(value)}, not a non-empty string`;
  throw new Error(`Rendering the core step needs fact ${name} of ${unit}, which is ${found}: apply ${unit} again.`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** One trailing newline, whatever the fact had. */
function pem(text: string): string {
  return `${text.trimEnd()}\n`;
}
