// What templates/core renders: per core device its Greengrass config, install and uninstall
// scripts, README and certificate; per client device its discovery and broker test scripts, README
// and certificate.
import type { Settings } from '@pushbutton/stacks';
import type { ClientDevice, CoreDevice, CoreSettings } from '@pushbutton/stacks/src/core/settings';
import { FactsByUnit as Facts, stringFact as factOf } from '../../facts';
import type { RenderItem } from '../../render/render-step';
import type { RenderPlan } from '../kinds';

const stringFact = (facts: Facts, unit: string, path: string[]) => factOf(facts, 'Rendering the core step', unit, path);

const coreRender: RenderPlan = (settings: Settings, facts: Facts, rehearsal: boolean): RenderItem[] => {
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
};

export default coreRender;

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
    // Where run-broker-test.sh connects without discovery; empty: the core's connectivity info, or --host.
    broker: client.broker ? { host: client.broker.host, port: String(client.broker.port) } : { host: '', port: '' },
    bundleName: `pushbutton-client-${client.name}`,
  };
}

/** One trailing newline, whatever the fact had. */
function pem(text: string): string {
  return `${text.trimEnd()}\n`;
}
