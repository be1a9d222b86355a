// The client's broker test without discovery (templates/core/client/run-broker-test.sh), rendered
// through the real render plan and run for real: mosquitto_rr against a local Mosquitto broker over
// mutual TLS, with a CA, a broker certificate and client certificates this test makes with openssl.
// The broker knows each client by its certificate's name (the thing name), as client device auth
// does, and an ACL stands in for client device auth's policy.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Settings } from '@pushbutton/stacks';
import coreRenderItems from '../../../src/steps/core/core-render';
import { renderStep } from '../../../src/render/render-step';
import { refusedByAwsModels } from '../../aws-models';
import { expectCleanScriptFile, runTool } from '../../render/checks';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { BOTOCORE_PYTHON, MOSQUITTO } = require('../../../../../tools/ci/system-tools') as { BOTOCORE_PYTHON: string; MOSQUITTO: string };

const WORKSPACE = join(__dirname, '../../../../..');

/** The client devices, by name: each gets a certificate for its thing, and the broker's ACL its topic. */
const CLIENTS = {
  // The configured broker; its topic is its own.
  'lab-sensor': { topic: 'lab/sensors/lab-sensor', acl: 'readwrite', configured: true },
  // The configured broker; the ACL lets it subscribe but drops what it publishes.
  'quiet-sensor': { topic: 'lab/sensors/quiet', acl: 'read', configured: true },
  // No broker in config: the core's connectivity info, from the AWS CLI.
  'field-sensor': { topic: 'field/one', acl: 'readwrite', configured: false },
} as const;
type Client = keyof typeof CLIENTS;

let dir: string;
let port: number;
/** A listener that takes any certificate of the CA but no client without a user name: CONNACK 5, not authorized. */
let refusingPort: number;
/** A port nothing listens on. */
let closedPort: number;
let broker: ChildProcess;
const brokerLog = () => readFileSync(join(dir, 'mosquitto.log'), 'utf8');
const bundle = (client: Client) => join(dir, 'render/core/clients', client);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pushbutton-broker-test-'));
  makeCertificates();
  [port, refusingPort, closedPort] = [await freePort(), await freePort(), await freePort()];
  broker = await startBroker();
  render(false);
}, 30_000);

afterAll(() => {
  broker?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a client's rendered run-broker-test.sh from the temporary folder, with `bin` first on PATH. */
function runBrokerTest(client: Client, args: string[] = [], bin?: string) {
  const env = { ...process.env, PATH: bin ? `${bin}:${process.env.PATH}` : process.env.PATH };
  return runTool('bash', [join(bundle(client), 'run-broker-test.sh'), ...args], { cwd: dir, env });
}

describe('run-broker-test.sh against a real MQTT broker over TLS', () => {
  it('is rendered for every client device, passes bash -n and shellcheck, and the README describes both tests', () => {
    for (const client of Object.keys(CLIENTS) as Client[]) expectCleanScriptFile(join(bundle(client), 'run-broker-test.sh'), client);
    const readme = readFileSync(join(bundle('lab-sensor'), 'README.md'), 'utf8');
    expect(readme).toContain('./pushbutton-client-lab-sensor/run-discovery.sh');
    expect(readme).toContain('## Test the broker without discovery');
    expect(readme).toContain('./pushbutton-client-lab-sensor/run-broker-test.sh');
    expect(readme).toContain('https://greengrass-ats.iot.eu-central-1.amazonaws.com:8443/greengrass/discover/thing/lab-lab-sensor');
    expect(readme).toContain(`\`broker\` in config/core.yaml: \`127.0.0.1:${port}\``);
    expect(readFileSync(join(bundle('field-sensor'), 'README.md'), 'utf8')).toContain(
      '`aws greengrassv2 get-connectivity-info --thing-name lab-lab-gateway --region eu-central-1`',
    );
  });

  it("connects to the configured broker as the client's thing, and gets its own message back", () => {
    const run = runBrokerTest('lab-sensor');
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain(`==> Connecting to 127.0.0.1:${port} (from config/core.yaml) as lab-lab-sensor`);
    expect(run.output).toContain("==> OK: lab-lab-sensor's own message came back from the broker at 127.0.0.1:" + `${port} on lab/sensors/lab-sensor.`);
    // The broker knew it by its certificate, with its thing name as client id.
    expect(brokerLog()).toMatch(/New client connected from 127\.0\.0\.1:\d+ as lab-lab-sensor \(.*u'lab-lab-sensor'\)/);
  });

  it('fails with a clear TLS message when the CA did not sign the broker certificate', () => {
    const run = runBrokerTest('lab-sensor', ['--ca', 'other-ca.pem']);
    expect(run.status).toBe(1);
    expect(run.output).toContain(`run-broker-test.sh: TLS failed: the broker's certificate is not signed by the CA in ${join(dir, 'other-ca.pem')}.`);
    expect(run.output).toContain('certificate verify failed');
    expect(run.output).not.toContain('==> OK');
  });

  it("fails with a clear TLS message when the broker certificate does not name the host (an address not in the core's connectivity info)", () => {
    // 127.1 reaches the broker, but its certificate names only 127.0.0.1 and localhost.
    const run = runBrokerTest('lab-sensor', ['--host', '127.1', '--port', String(port)]);
    expect(run.status).toBe(1);
    expect(run.output).toContain("run-broker-test.sh: TLS failed: the broker's certificate does not name 127.1.");
  });

  it('says when the broker refuses the client (not authorized) and when nothing listens', () => {
    const refused = runBrokerTest('lab-sensor', ['--port', String(refusingPort)]);
    expect(refused.status).toBe(1);
    expect(refused.output).toContain('run-broker-test.sh: the broker refused the connection (CONNACK 5; 5 is not authorized)');
    const closed = runBrokerTest('lab-sensor', ['--port', String(closedPort)]);
    expect(closed.status).toBe(1);
    expect(closed.output).toContain(`run-broker-test.sh: nothing accepts connections on 127.0.0.1:${closedPort}`);
  });

  it('times out with a clear message when the broker never hands its message back', () => {
    const started = Date.now();
    const run = runBrokerTest('quiet-sensor', ['--timeout', '1']);
    expect(run.status).toBe(1);
    expect(run.output).toContain(
      'run-broker-test.sh: connected and subscribed to lab/sensors/quiet, but the message did not come back within 1 s',
    );
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it("reads the core's connectivity info with the AWS CLI when config names no broker", () => {
    const aws = awsCli(`printf '127.0.0.1\\t${port}\\n192.0.2.10\\t8883\\n'`);
    const run = runBrokerTest('field-sensor', [], aws.bin);
    expect(run.status, run.output).toBe(0);
    expect(aws.calls()).toEqual([
      'greengrassv2 get-connectivity-info --thing-name lab-lab-gateway --region eu-central-1 --query connectivityInfo[].[hostAddress,portNumber] --output text',
    ]);
    expect(run.output).toContain(`==> Connecting to 127.0.0.1:${port} (from lab-lab-gateway's connectivity info) as lab-field-sensor`);
    expect(run.output).toContain(`==> The core has more endpoints; the first is tried (choose another with --host):\n      127.0.0.1:${port}\n      192.0.2.10:8883\n`);
    expect(run.output).toContain("==> OK: lab-field-sensor's own message came back");
  });

  it("calls GetConnectivityInfo as AWS's model has it, and reads the fields its answer has", () => {
    expect(refusedByAwsModels([{ service: 'greengrassv2', operation: 'GetConnectivityInfo', params: { thingName: 'lab-lab-gateway' } }])).toEqual([]);
    const shape = spawnSync(
      BOTOCORE_PYTHON,
      ['-c', "import botocore.session as s; o = s.get_session().get_service_model('greengrassv2').operation_model('GetConnectivityInfo').output_shape; print(' '.join(o.members['connectivityInfo'].member.members))"],
      { encoding: 'utf8' },
    );
    expect(shape.stdout.trim().split(' ')).toEqual(expect.arrayContaining(['hostAddress', 'portNumber']));
  });

  it('says how to go on when the connectivity info cannot be read or is empty', () => {
    const denied = runBrokerTest('field-sensor', [], awsCli("echo 'Unable to locate credentials. You can configure credentials by running \"aws configure\".' >&2; exit 253").bin);
    expect(denied.status).toBe(1);
    expect(denied.output).toContain("run-broker-test.sh: the AWS CLI could not read lab-lab-gateway's connectivity info:\nUnable to locate credentials.");
    expect(denied.output).toContain('Pass the core\'s address with --host HOST instead.');

    const empty = runBrokerTest('field-sensor', [], awsCli('echo None').bin);
    expect(empty.status).toBe(1);
    expect(empty.output).toContain('run-broker-test.sh: lab-lab-gateway has no connectivity info, so discovery has no address to hand out either');

    const given = runBrokerTest('field-sensor', ['--host', '127.0.0.1', '--port', String(port)], awsCli('exit 99').bin);
    expect(given.status, given.output).toBe(0);
    expect(given.output).toContain('(from --host) as lab-field-sensor');
  });

  it("names the README's command when the core's CA is missing, and stops a rehearsal before connecting", () => {
    const missing = runBrokerTest('lab-sensor', ['--ca', 'nowhere.pem']);
    expect(missing.status).toBe(1);
    expect(missing.output).toContain(`run-broker-test.sh: the core device's CA certificate is not at ${join(dir, 'nowhere.pem')}.`);
    expect(missing.output).toContain('README.md, "Test the broker without discovery", has the command');

    render(true);
    try {
      writeFileSync(join(bundle('lab-sensor'), 'private.pem.key'), 'a rehearsal has no key');
      const rehearsal = runBrokerTest('lab-sensor');
      expect(rehearsal.status, rehearsal.output).toBe(0);
      expect(rehearsal.output).toContain('==> The prerequisites are in place; stopping before connecting to the core.');
    } finally {
      render(false);
    }
  });
});

/** A stand-in `aws` that logs its arguments and runs `body`. */
function awsCli(body: string) {
  const bin = mkdtempSync(join(dir, 'aws-'));
  const log = join(bin, 'calls.log');
  writeFileSync(join(bin, 'aws'), `#!/bin/bash\necho "$*" >> ${JSON.stringify(log)}\n${body}\n`, { mode: 0o755 });
  return { bin, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n') : []) };
}

const openssl = (...args: string[]) => {
  const { status, output } = runTool('openssl', args, { cwd: dir });
  if (status !== 0) throw new Error(`openssl ${args.join(' ')}:\n${output}`);
};

/** The core device's CA, another CA, the broker's certificate (for 127.0.0.1 and localhost) and one per client (its thing name). */
function makeCertificates(): void {
  const ca = (name: string) => openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`);
  const signed = (name: string, subject: string, extensions: string) => {
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${subject}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'core-ca.pem', '-CAkey', 'core-ca.key', '-CAcreateserial', '-days', '2',
      '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  };
  ca('core-ca');
  ca('other-ca');
  signed('broker', 'broker', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  for (const client of Object.keys(CLIENTS)) signed(client, `lab-${client}`, 'extendedKeyUsage=clientAuth\n');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as AddressInfo;
      server.close(() => resolve(free));
    });
  });
}

/** Mosquitto on 127.0.0.1: mutual TLS, each client named by its certificate, an ACL by that name. */
async function startBroker(): Promise<ChildProcess> {
  const acl = Object.entries(CLIENTS).map(([client, { topic, acl: access }]) => `user lab-${client}\ntopic ${access} ${topic}\n`).join('\n');
  writeFileSync(join(dir, 'acl'), acl);
  const tls = (listener: number) =>
    [`listener ${listener} 127.0.0.1`, 'allow_anonymous false', `cafile ${join(dir, 'core-ca.pem')}`, `certfile ${join(dir, 'broker.pem')}`,
      `keyfile ${join(dir, 'broker.key')}`, 'require_certificate true'].join('\n');
  writeFileSync(
    join(dir, 'mosquitto.conf'),
    [
      'per_listener_settings true',
      // As root, Mosquitto would switch to the user mosquitto, who cannot read these files; as anyone else this does nothing.
      `user ${userInfo().username}`,
      `log_dest file ${join(dir, 'mosquitto.log')}`,
      tls(port),
      'use_identity_as_username true',
      `acl_file ${join(dir, 'acl')}`,
      tls(refusingPort),
      '',
    ].join('\n'),
  );
  const child = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  for (let waited = 0; waited < 5_000; waited += 50) {
    if (existsSync(join(dir, 'mosquitto.log')) && / running$/m.test(brokerLog())) return child;
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill();
  throw new Error(`Mosquitto did not start:\n${stderr}${existsSync(join(dir, 'mosquitto.log')) ? brokerLog() : ''}`);
}

/**
 * Renders templates/core through the core render plan: one core device, the clients above (the
 * configured ones with this broker), each client's certificate as its fact; then puts each private
 * key and the core's CA (as core-ca.pem) into its bundle, as a person would.
 */
function render(rehearsal: boolean): void {
  const clientDevices = Object.fromEntries(
    Object.entries(CLIENTS).map(([name, { topic, configured }]) => [
      name,
      { name, thingName: `lab-${name}`, coreDevice: 'lab-gateway', topic, ...(configured ? { broker: { host: '127.0.0.1', port } } : {}) },
    ]),
  );
  const settings = {
    project: { name: 'lab', region: 'eu-central-1', tags: {}, state: { backend: 'local' } },
    core: {
      greengrass: { nucleusVersion: '2.16.1', rootPath: '/greengrass/v2', componentUser: 'ggc_user', componentGroup: 'ggc_group', port443: false },
      thingGroupName: 'lab-cores',
      clientThingGroupName: 'lab-clients',
      coreDevices: { 'lab-gateway': { name: 'lab-gateway', thingName: 'lab-lab-gateway', sshPort: 22 } },
      clientDevices,
      components: { 'aws.greengrass.clientdevices.Auth': '2.5.3' },
      clientDeviceGroup: 'PushbuttonClients',
      logs: { upload: false, uploadIntervalSeconds: 300, minimumLevel: 'INFO' },
    },
  } as unknown as Settings;
  const certified = (name: string, pem: string) => ({ thing_name: `lab-${name}`, certificate_pem: pem, policy_name: `lab-${name}` });
  const facts = {
    'core-account': { role_alias_name: 'lab-core-token-exchange' },
    'core-account-link': { iot_data_endpoint: 'a1b2c3-ats.iot.eu-central-1.amazonaws.com', iot_credential_endpoint: 'c1d2e3.credentials.iot.eu-central-1.amazonaws.com' },
    'core-devices': {
      core_devices: { 'lab-gateway': certified('lab-gateway', 'a core certificate') },
      client_devices: Object.fromEntries(
        Object.keys(CLIENTS).map((client) => [client, certified(client, rehearsal ? 'a mock certificate' : readFileSync(join(dir, `${client}.pem`), 'utf8'))]),
      ),
    },
  };
  const outDir = join(dir, 'render/core');
  mkdirSync(outDir, { recursive: true });
  renderStep({ workspaceRoot: WORKSPACE, step: 'core', outDir, items: coreRenderItems(settings, facts, rehearsal) });
  for (const client of Object.keys(CLIENTS) as Client[]) {
    copyFileSync(join(dir, `${client}.key`), join(bundle(client), 'private.pem.key'));
    copyFileSync(join(dir, 'core-ca.pem'), join(bundle(client), 'core-ca.pem'));
  }
}
