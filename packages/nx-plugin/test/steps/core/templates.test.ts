// The real templates/core, rendered with a fixture config and facts, checked with the tools a
// device would use: YAML parsed back, scripts through bash -n and shellcheck, modes on disk.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Settings } from '@pushbutton/stacks';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../../src/config/load-config';
import { codeOf } from '../../../src/steps/kinds';
import coreRenderItems from '../../../src/steps/core/core-render';
import { renderStep } from '../../../src/render/render-step';
import { expectCleanScriptFile, runTool } from '../../render/checks';

const WORKSPACE = join(__dirname, '../../../../..');

const CERTIFICATE = (name: string) => `-----BEGIN CERTIFICATE-----\nMIIB${name}Q==\n-----END CERTIFICATE-----\n`;

function fixtureSettings(): Settings {
  return {
    project: { name: 'lab', region: 'eu-central-1', tags: {}, state: { backend: 'local' } },
    core: {
      greengrass: { nucleusVersion: '2.16.1', rootPath: '/greengrass/v2', componentUser: 'ggc_user', componentGroup: 'ggc_group', port443: false },
      thingGroupName: 'lab-cores',
      clientThingGroupName: 'lab-clients',
      coreDevices: {
        'lab-gateway': { name: 'lab-gateway', thingName: 'lab-lab-gateway', host: 'pi@192.0.2.10', sshPort: 2222 },
        'field-gateway': { name: 'field-gateway', thingName: 'lab-field-gateway', sshPort: 22 },
      },
      clientDevices: {
        'lab-sensor': { name: 'lab-sensor', thingName: 'lab-lab-sensor', coreDevice: 'lab-gateway', topic: 'lab/sensors/lab-sensor' },
        'field-sensor': { name: 'field-sensor', thingName: 'lab-field-sensor', coreDevice: 'field-gateway', topic: 'field/one' },
      },
      components: { 'aws.greengrass.clientdevices.Auth': '2.5.3' },
      clientDeviceGroup: 'PushbuttonClients',
      logs: { upload: false, uploadIntervalSeconds: 300, minimumLevel: 'INFO' },
    },
  };
}

function deviceFacts(names: string[], extra: Record<string, unknown> = {}) {
  return Object.fromEntries(
    names.map((name) => [name, { thing_name: `lab-${name}`, certificate_pem: CERTIFICATE(name), policy_name: `lab-${name}`, ...extra }]),
  );
}

function fixtureFacts(): Record<string, Record<string, unknown>> {
  return {
    'core-account': {
      role_alias_name: 'lab-core-token-exchange',
      role_alias_arn: 'arn:aws:iot:eu-central-1:123456789012:rolealias/lab-core-token-exchange',
      token_exchange_role_arn: 'arn:aws:iam::123456789012:role/lab-core-token-exchange',
    },
    'core-account-link': {
      iot_data_endpoint: 'a1b2c3-ats.iot.eu-central-1.amazonaws.com',
      iot_credential_endpoint: 'c1d2e3.credentials.iot.eu-central-1.amazonaws.com',
    },
    'core-devices': {
      thing_group_name: 'lab-cores',
      core_devices: deviceFacts(['lab-gateway', 'field-gateway']),
      client_devices: deviceFacts(['lab-sensor', 'field-sensor'], { core_device: 'lab-gateway' }),
    },
  };
}

let outDir: string;
beforeEach(() => {
  outDir = join(mkdtempSync(join(tmpdir(), 'pushbutton-core-render-')), 'core');
});
afterEach(() => rmSync(join(outDir, '..'), { recursive: true, force: true }));

const render = (settings = fixtureSettings(), facts = fixtureFacts(), rehearsal = false) =>
  renderStep({ workspaceRoot: WORKSPACE, step: 'core', outDir, items: coreRenderItems(settings, facts, rehearsal) });
const read = (file: string) => readFileSync(join(outDir, file), 'utf8');
const modeOf = (file: string) => statSync(join(outDir, file)).mode & 0o777;

const expectCleanScript = (file: string, shellcheckOptions: string[] = []) => expectCleanScriptFile(join(outDir, file), file, shellcheckOptions);

const SCRIPTS = [
  'devices/lab-gateway/install.sh',
  'devices/lab-gateway/uninstall.sh',
  'devices/field-gateway/install.sh',
  'devices/field-gateway/uninstall.sh',
  'clients/lab-sensor/run-discovery.sh',
  'clients/field-sensor/run-discovery.sh',
  'clients/lab-sensor/run-broker-test.sh',
  'clients/field-sensor/run-broker-test.sh',
];

describe('templates/core rendered for two core and two client devices', () => {
  it('renders exactly the files of every device and client', () => {
    const device = (name: string) => ['README.md', 'config.yaml', 'device.pem.crt', 'install.sh', 'uninstall.sh'].map((f) => `devices/${name}/${f}`);
    const client = (name: string) => ['README.md', 'device.pem.crt', 'run-broker-test.sh', 'run-discovery.sh'].map((f) => `clients/${name}/${f}`);
    expect(render()).toEqual(
      [...client('field-sensor'), ...client('lab-sensor'), ...device('field-gateway'), ...device('lab-gateway')].sort(),
    );
  });

  it('writes a nucleus config.yaml for manual provisioning with every value in place', () => {
    render();
    expect(parseYaml(read('devices/lab-gateway/config.yaml'))).toEqual({
      system: {
        certificateFilePath: '/greengrass/v2/device.pem.crt',
        privateKeyPath: '/greengrass/v2/private.pem.key',
        rootCaPath: '/greengrass/v2/AmazonRootCA1.pem',
        rootpath: '/greengrass/v2',
        thingName: 'lab-lab-gateway',
      },
      services: {
        'aws.greengrass.Nucleus': {
          componentType: 'NUCLEUS',
          version: '2.16.1',
          configuration: {
            awsRegion: 'eu-central-1',
            iotRoleAlias: 'lab-core-token-exchange',
            iotDataEndpoint: 'a1b2c3-ats.iot.eu-central-1.amazonaws.com',
            iotCredEndpoint: 'c1d2e3.credentials.iot.eu-central-1.amazonaws.com',
          },
        },
      },
    });
    expect(parseYaml(read('devices/field-gateway/config.yaml')).system.thingName).toBe('lab-field-gateway');
  });

  it('writes scripts that pass bash -n and shellcheck, with mode 0755, and other files 0644', () => {
    const files = render();
    for (const script of SCRIPTS) {
      expectCleanScript(script);
      expect(modeOf(script), script).toBe(0o755);
    }
    for (const file of files.filter((f) => !f.endsWith('.sh'))) expect(modeOf(file), file).toBe(0o644);
  });

  it('installs with the documented manual-provisioning steps', () => {
    render();
    const install = read('devices/lab-gateway/install.sh');
    expect(install).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(install).toContain('set -euo pipefail');
    expect(install).toContain('https://d2s8p88vqu9w66.cloudfront.net/releases/greengrass-${NUCLEUS_VERSION}.zip');
    expect(install).toContain('readonly NUCLEUS_VERSION=2.16.1');
    expect(install).toContain('groupadd --system "$COMPONENT_GROUP"');
    expect(install).toContain('useradd --system --no-create-home --gid "$COMPONENT_GROUP" "$COMPONENT_USER"');
    expect(install).toContain('install -m 0600 "${BUNDLE_DIR}/private.pem.key" "${ROOT_PATH}/private.pem.key"');
    expect(install).toContain('install -m 0644 "${BUNDLE_DIR}/device.pem.crt" "${ROOT_PATH}/device.pem.crt"');
    expect(install).toContain('https://www.amazontrust.com/repository/AmazonRootCA1.pem');
    expect(install.replace(/\\\n\s*/g, '')).toContain(
      'java -Droot="$ROOT_PATH" -Dlog.store=FILE -jar "${WORK_DIR}/GreengrassInstaller/lib/Greengrass.jar" ' +
        '--init-config "${BUNDLE_DIR}/config.yaml" --component-default-user "${COMPONENT_USER}:${COMPONENT_GROUP}" --setup-system-service true',
    );
    const uninstall = read('devices/lab-gateway/uninstall.sh');
    expect(uninstall).toContain('readonly UNIT_FILE=/etc/systemd/system/greengrass.service');
    expect(uninstall).toContain('systemctl daemon-reload');
  });

  it('stops install.sh before changing anything: as a normal user, or naming every missing prerequisite', () => {
    render();
    const asNormalUser = runInstallWithBareSystem('1000');
    expect(asNormalUser.status).toBe(1);
    expect(asNormalUser.output).toMatch(/^install\.sh: run me as root: sudo .*install\.sh$/m);

    const asRoot = runInstallWithBareSystem('0');
    expect(asRoot.status).toBe(1);
    expect(asRoot.output).toContain('install.sh: missing prerequisites:\n');
    for (const missing of ['java (a Java runtime 8 or later', 'curl', 'unzip', 'systemd', 'private.pem.key in ']) {
      expect(asRoot.output).toContain(`  - ${missing}`);
    }
  });

  it('writes the certificate of each device as is, and a README with the two commands', () => {
    render();
    expect(read('devices/field-gateway/device.pem.crt')).toBe(CERTIFICATE('field-gateway'));
    expect(read('clients/lab-sensor/device.pem.crt')).toBe(CERTIFICATE('lab-sensor'));
    const readme = read('devices/field-gateway/README.md');
    expect(readme).toContain('tar -xzf pushbutton-core-field-gateway.tar.gz\nsudo ./pushbutton-core-field-gateway/install.sh');
    expect(readme).toContain('**lab-field-gateway** in\neu-central-1');
    expect(readme).toContain('sudo systemctl status greengrass');
    expect(readme).toContain('/greengrass/v2/logs/greengrass.log');
    expect(readme).toContain('sudo ./pushbutton-core-field-gateway/uninstall.sh');
    expect(readme).not.toMatch(/mock/i);
    expect(read('devices/lab-gateway/README.md')).toContain('over ssh on pi@192.0.2.10 (port 2222)');
  });

  // AWS IoT Greengrass V2's endpoints and ports for basic operation
  // (https://docs.aws.amazon.com/greengrass/v2/developerguide/allow-device-traffic.html): MQTT on 8883,
  // the data plane on 8443, both on 443 only with mqtt.port and greengrassDataPlanePort set to 443.
  it("names the ports a core needs: MQTT 8883 and the data plane 8443 by default, 443 for the rest", () => {
    render();
    const readme = read('devices/lab-gateway/README.md');
    expect(readme).toContain('MQTT on port 8883 to `a1b2c3-ats.iot.eu-central-1.amazonaws.com`');
    expect(readme).toContain('HTTPS on port 8443 to the Greengrass data plane\n  at `greengrass-ats.iot.eu-central-1.amazonaws.com`');
    expect(readme).toContain('the credentials endpoint `c1d2e3.credentials.iot.eu-central-1.amazonaws.com`');
    expect(readme).toContain('inbound MQTT on port 8883');
    const nucleus = parseYaml(read('devices/lab-gateway/config.yaml')).services['aws.greengrass.Nucleus'].configuration;
    expect(nucleus.mqtt).toBeUndefined();
    expect(nucleus.greengrassDataPlanePort).toBeUndefined();
  });

  it('sets MQTT and the data plane to port 443 when config asks, and says so in the README', () => {
    const settings = fixtureSettings();
    settings.core!.greengrass.port443 = true;
    render(settings);
    const nucleus = parseYaml(read('devices/lab-gateway/config.yaml')).services['aws.greengrass.Nucleus'].configuration;
    expect(nucleus).toMatchObject({ mqtt: { port: 443 }, greengrassDataPlanePort: 443 });
    const readme = read('devices/lab-gateway/README.md');
    expect(readme).toContain('everything on port 443');
    expect(readme).not.toContain('8443');
  });

  it('installs a bundle once: run again with it, install.sh changes nothing; with a new certificate, it reinstalls', () => {
    render();
    const device = installOnDevice();
    expect(device.run().output).toContain('==> Installing the nucleus into');
    expect(device.installerRuns()).toBe(1);

    const again = device.run();
    expect(again.status, again.output).toBe(0);
    expect(again.output).toContain('Greengrass runs, installed from this bundle: nothing to change.');
    expect(device.installerRuns()).toBe(1);

    writeFileSync(join(outDir, 'devices/lab-gateway/device.pem.crt'), CERTIFICATE('renewed'));
    expect(device.run().output).toContain('==> Stopping the running Greengrass nucleus');
    expect(device.installerRuns()).toBe(2);
  });

  it('runs the basic discovery sample with exactly the documented arguments', () => {
    render();
    const script = read('clients/lab-sensor/run-discovery.sh');
    expect(script).toContain('${SAMPLES_DIR:-aws-iot-device-sdk-python-v2/samples}');
    expect(script).toContain('git clone https://github.com/aws/aws-iot-device-sdk-python-v2.git');
    expect(script).toContain('python3 -m pip install awsiotsdk');
    expect(discoveryArguments(script)).toEqual([
      'python3', 'samples/greengrass/basic_discovery.py', '--thing_name', 'lab-lab-sensor', '--topic', 'lab/sensors/lab-sensor',
      '--message', 'Hello from lab-sensor', '--ca_file', 'AmazonRootCA1.pem', '--cert', 'device.pem.crt',
      '--key', 'private.pem.key', '--region', 'eu-central-1', '--mode', 'both',
    ]);
    const readme = read('clients/lab-sensor/README.md');
    expect(readme).toContain('**lab-gateway** (thing **lab-lab-gateway**)');
    expect(readme).toContain("--message 'Hello from lab-sensor'");
  });

  // aws-iot-device-sdk-python-v2 keeps the sample at samples/greengrass/basic_discovery.py from v1.25.0,
  // and at samples/basic_discovery.py before; both take the same arguments.
  it.each([
    ['v1.25.0 and later', 'greengrass/basic_discovery.py'],
    ['earlier releases', 'basic_discovery.py'],
  ])('finds the discovery sample where the SDK keeps it (%s)', (_, where) => {
    render(fixtureSettings(), fixtureFacts(), true);
    const run = clientMachine(where);
    expect(run.output).toContain(`Using the discovery sample at aws-iot-device-sdk-python-v2/samples/${where}`);
    expect(run.status, run.output).toBe(0);
  });

  it('names both places when the sample is in neither', () => {
    render(fixtureSettings(), fixtureFacts(), true);
    const run = clientMachine(undefined);
    expect(run.status).toBe(1);
    expect(run.output).toContain('the basic discovery sample is in neither aws-iot-device-sdk-python-v2/samples/greengrass/basic_discovery.py');
    expect(run.output).toContain('nor aws-iot-device-sdk-python-v2/samples/basic_discovery.py (earlier releases)');
  });

  it('says plainly in a rehearsal that the values are mock values, and still renders valid files', () => {
    const facts = fixtureFacts();
    const devices = facts['core-devices'] as { core_devices: Record<string, { certificate_pem: string }> };
    devices.core_devices['lab-gateway'].certificate_pem = 'x7Qp2LmZ';
    render(fixtureSettings(), facts, true);
    expect(read('devices/lab-gateway/README.md')).toMatch(/^> \*\*REHEARSAL: the certificate, endpoints and role alias in this bundle are mock values\.\*\*$/m);
    expect(read('clients/lab-sensor/README.md')).toMatch(/^> \*\*REHEARSAL: the certificate in this bundle is a mock value\.\*\*$/m);
    expect(read('devices/lab-gateway/device.pem.crt')).toBe('x7Qp2LmZ\n');
    expect(read('devices/lab-gateway/install.sh')).toContain('readonly REHEARSAL=true');
    for (const script of SCRIPTS) expectCleanScript(script);
  });
});

/**
 * Runs the rendered install.sh of lab-gateway on a system with none of its tools: only `id`
 * (reporting the given uid) and `dirname`. The bundle has no private key next to it.
 */
function runInstallWithBareSystem(uid: string) {
  const bin = join(outDir, '..', 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'id'), `#!/bin/sh\necho ${uid}\n`, { mode: 0o755 });
  const dirname = runTool('bash', ['-c', 'command -v dirname']).output.trim();
  if (!existsSync(join(bin, 'dirname'))) symlinkSync(dirname, join(bin, 'dirname'));
  const bash = runTool('bash', ['-c', 'command -v bash']).output.trim();
  const result = spawnSync(bash, [join(outDir, 'devices/lab-gateway/install.sh')], { encoding: 'utf8', env: { PATH: bin } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/**
 * A core device for the rendered (live) install.sh of lab-gateway: root, with its root path in a
 * temporary folder, and the system's tools stood in for by scripts that log what they were asked
 * (systemctl keeps the service's state; `java -jar` is the Greengrass installer).
 */
function installOnDevice() {
  const device = join(outDir, '..', 'device');
  const bin = join(device, 'bin');
  const log = join(device, 'calls.log');
  mkdirSync(bin, { recursive: true });
  const stub = (name: string, body: string) => writeFileSync(join(bin, name), `#!/bin/bash\necho "${name} $*" >> "${log}"\n${body}\n`, { mode: 0o755 });
  stub('id', 'echo 0');
  stub('getent', 'exit 0');
  stub('java', '[[ $1 == -version ]] && echo "openjdk version 17" >&2; [[ $* == *-jar* ]] && touch "' + join(device, 'active') + '"; exit 0');
  stub('curl', 'while [[ $# -gt 0 ]]; do [[ $1 == --output ]] && : > "$2"; shift; done');
  stub('unzip', 'exit 0');
  stub('systemctl', `case $1 in is-active) [[ -f "${join(device, 'active')}" ]];; stop) rm -f "${join(device, 'active')}";; start) touch "${join(device, 'active')}";; esac`);
  writeFileSync(join(outDir, 'devices/lab-gateway/private.pem.key'), 'not a key', { mode: 0o600 });
  const script = join(outDir, 'devices/lab-gateway/install.sh');
  const rooted = readFileSync(script, 'utf8').replace(/^readonly ROOT_PATH=.*$/m, `readonly ROOT_PATH=${join(device, 'greengrass')}`);
  writeFileSync(script, rooted);
  return {
    run: () => runTool('bash', [script], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } }),
    installerRuns: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((line) => /^java .*-jar/.test(line)).length : 0),
  };
}

/**
 * Runs the rendered (rehearsal) run-discovery.sh of lab-sensor from a client machine's folder: a clone of
 * the SDK with the sample at `samples/<where>` (or none), and an `awsiot` package for Python to import.
 */
function clientMachine(where: string | undefined) {
  const bundle = join(outDir, 'clients/lab-sensor');
  writeFileSync(join(bundle, 'private.pem.key'), 'not a key');
  if (where) {
    mkdirSync(join(bundle, 'aws-iot-device-sdk-python-v2/samples', where, '..'), { recursive: true });
    writeFileSync(join(bundle, 'aws-iot-device-sdk-python-v2/samples', where), '# the sample\n');
  }
  const python = join(outDir, '..', 'python');
  mkdirSync(join(python, 'awsiot'), { recursive: true });
  writeFileSync(join(python, 'awsiot', '__init__.py'), '');
  return runTool('bash', [join(bundle, 'run-discovery.sh')], { env: { ...process.env, PYTHONPATH: python } });
}

/** The discovery command the script runs, as bash sees it, with the sample where SDK v1.25.0 keeps it. */
function discoveryArguments(script: string): string[] {
  const command = /^discovery=\([\s\S]*?\)$/m.exec(script)?.[0];
  expect(command, 'the discovery=(...) command of run-discovery.sh').toBeDefined();
  const printArguments = `sample=samples/greengrass/basic_discovery.py\n${command}\nprintf '%s\\n' "\${discovery[@]}"`;
  const { status, output } = runTool('bash', ['-c', printArguments], { cwd: join(outDir, '..') });
  expect(status, output).toBe(0);
  return output.trimEnd().split('\n');
}

describe('a hostile value', () => {
  // Run in the temp folder: if a value's command substitution ran, it would leave this file there.
  const marker = () => join(outDir, '..', 'command-ran');
  const HOSTILE = 'it\'s $(touch command-ran) `touch command-ran` "q" !x';

  it('stays one literal word in every shell script', () => {
    const settings = fixtureSettings();
    settings.core!.greengrass.componentUser = HOSTILE;
    settings.core!.clientDevices = {
      [HOSTILE]: { name: HOSTILE, thingName: `${HOSTILE} thing`, coreDevice: 'lab-gateway', topic: `${HOSTILE} topic` },
    };
    const facts = fixtureFacts();
    (facts['core-devices'] as Record<string, unknown>).client_devices = deviceFacts([HOSTILE]);
    render(settings, facts);

    const install = read('devices/lab-gateway/install.sh');
    const assignment = /^readonly COMPONENT_USER=.*$/m.exec(install)![0];
    const { status, output } = runTool('bash', ['-c', `${assignment}\nprintf '%s' "$COMPONENT_USER"`], { cwd: join(outDir, '..') });
    expect(status, output).toBe(0);
    expect(output).toBe(HOSTILE);

    const args = discoveryArguments(read(`clients/${HOSTILE}/run-discovery.sh`));
    expect([args[3], args[5], args[7]]).toEqual([`${HOSTILE} thing`, `${HOSTILE} topic`, `Hello from ${HOSTILE}`]);
    expect(existsSync(marker()), 'a command substitution in a value ran').toBe(false);
    // SC2016 (info) notes that `$(...)` in single quotes does not expand: exactly the point here.
    expectCleanScript('devices/lab-gateway/install.sh', ['--exclude=SC2016']);
    expectCleanScript(`clients/${HOSTILE}/run-discovery.sh`, ['--exclude=SC2016']);
    const brokerTest = read(`clients/${HOSTILE}/run-broker-test.sh`);
    const values = ['THING_NAME', 'TOPIC'].map((name) => new RegExp(`^readonly ${name}=.*$`, 'm').exec(brokerTest)![0]);
    const printed = runTool('bash', ['-c', `${values.join('\n')}\nprintf '%s|' "$THING_NAME" "$TOPIC"`], { cwd: join(outDir, '..') });
    expect(printed.output).toBe(`${HOSTILE} thing|${HOSTILE} topic|`);
    expect(existsSync(marker()), 'a command substitution in a value ran').toBe(false);
    expectCleanScript(`clients/${HOSTILE}/run-broker-test.sh`, ['--exclude=SC2016']);
  });

  it('parses back verbatim from config.yaml', () => {
    const value = `${HOSTILE}\n# not a comment: {x: [1]} & *alias`;
    const settings = fixtureSettings();
    settings.core!.coreDevices['lab-gateway'].thingName = value;
    render(settings);
    expect(parseYaml(read('devices/lab-gateway/config.yaml')).system.thingName).toBe(value);
  });
});

describe('the core render plan', () => {
  it('is registered as the core-render unit, rendering templates/core', () => {
    expect(codeOf('render')['core-render']).toBe(coreRenderItems);
  });

  it('gives each item the context the templates read', () => {
    const items = coreRenderItems(fixtureSettings(), fixtureFacts(), false);
    expect(items.map((item) => [item.templateDir, item.outDir])).toEqual([
      ['device', 'devices/lab-gateway'],
      ['device', 'devices/field-gateway'],
      ['client', 'clients/lab-sensor'],
      ['client', 'clients/field-sensor'],
    ]);
    expect(items[1].context.device).toEqual({
      name: 'field-gateway',
      thingName: 'lab-field-gateway',
      certificatePem: CERTIFICATE('field-gateway'),
      host: '',
      sshPort: 22,
      bundleName: 'pushbutton-core-field-gateway',
    });
    expect(items[2].context.client).toEqual({
      name: 'lab-sensor',
      thingName: 'lab-lab-sensor',
      topic: 'lab/sensors/lab-sensor',
      certificatePem: CERTIFICATE('lab-sensor'),
      coreDevice: { name: 'lab-gateway', thingName: 'lab-lab-gateway' },
      broker: { host: '', port: '' },
      bundleName: 'pushbutton-client-lab-sensor',
    });
    expect(items[0].context).toMatchObject({
      project: { name: 'lab', region: 'eu-central-1' },
      rehearsal: false,
      endpoints: { data: 'a1b2c3-ats.iot.eu-central-1.amazonaws.com', credentials: 'c1d2e3.credentials.iot.eu-central-1.amazonaws.com' },
      roleAlias: 'lab-core-token-exchange',
    });
  });

  it('names the unit and the fact that is missing', () => {
    const facts = fixtureFacts();
    delete (facts['core-devices'].client_devices as Record<string, unknown>)['field-sensor'];
    expect(() => coreRenderItems(fixtureSettings(), facts, false)).toThrow(
      'Rendering the core step needs fact client_devices.field-sensor.certificate_pem of core-devices, which is missing: apply core-devices again.',
    );
    const withoutLink = fixtureFacts();
    delete withoutLink['core-account-link'];
    expect(() => coreRenderItems(fixtureSettings(), withoutLink, false)).toThrow(
      'Rendering the core step needs the facts of core-account-link, which were not read: apply core-account-link first.',
    );
  });

  it('renders the shipped config', () => {
    const settings = loadConfig(WORKSPACE, 'config');
    const facts = fixtureFacts();
    (facts['core-devices'] as Record<string, unknown>).core_devices = deviceFacts(['lab-gateway']);
    (facts['core-devices'] as Record<string, unknown>).client_devices = deviceFacts(['lab-sensor']);
    expect(render(settings, facts, true)).toEqual([
      'clients/lab-sensor/README.md',
      'clients/lab-sensor/device.pem.crt',
      'clients/lab-sensor/run-broker-test.sh',
      'clients/lab-sensor/run-discovery.sh',
      'devices/lab-gateway/README.md',
      'devices/lab-gateway/config.yaml',
      'devices/lab-gateway/device.pem.crt',
      'devices/lab-gateway/install.sh',
      'devices/lab-gateway/uninstall.sh',
    ]);
    expect(parseYaml(read('devices/lab-gateway/config.yaml')).system.thingName).toBe('pushbutton-demo-lab-gateway');
  });
});
