// A device bundle as the device sees it: the entries of the archive, their modes, the key.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { list } from 'tar';
import { packBundle } from '../../src/bundles/pack-bundle';
import { renderStep } from '../../src/render/render-step';

const WORKSPACE = join(__dirname, '../../../..');
const ROOT_NAME = 'pushbutton-core-lab-gateway';
// Stands in for a device key: what matters here is where it goes and with which mode, not that it parses.
const KEY = 'device-key-fixture MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n';

let dir: string;
let sourceDir: string;
let keyFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pushbutton-bundle-'));
  sourceDir = join(dir, 'render', 'devices', 'lab-gateway');
  renderDevice(sourceDir);
  keyFile = join(dir, 'keys', 'lab-gateway', 'private.pem.key');
  mkdirSync(join(keyFile, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, KEY, { mode: 0o600 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The real templates/core/device, rendered for one core device. */
function renderDevice(outDir: string): void {
  const workspace = join(dir, 'workspace');
  cpSync(join(WORKSPACE, 'templates', 'core', 'device'), join(workspace, 'templates', 'core', 'device'), { recursive: true });
  const context = {
    project: { name: 'lab', region: 'eu-central-1' },
    rehearsal: false,
    greengrass: { nucleusVersion: '2.16.1', rootPath: '/greengrass/v2', componentUser: 'ggc_user', componentGroup: 'ggc_group', port443: false },
    endpoints: { data: 'a1-ats.iot.eu-central-1.amazonaws.com', credentials: 'c1.credentials.iot.eu-central-1.amazonaws.com' },
    roleAlias: 'lab-core-token-exchange',
    config: {},
    facts: {},
    device: { name: 'lab-gateway', thingName: 'lab-lab-gateway', certificatePem: 'CERT\n', host: '', sshPort: 22, bundleName: ROOT_NAME },
  };
  renderStep({ workspaceRoot: workspace, step: 'core', outDir, items: [{ templateDir: 'device', outDir: '', context }] });
}

async function entriesOf(file: string): Promise<[string, string][]> {
  const entries: [string, string][] = [];
  await list({ file, onReadEntry: (entry) => entries.push([entry.path, (entry.mode ?? 0).toString(8)]) });
  return entries;
}

const outFile = (name = 'bundle') => join(dir, 'bundles', 'live', `${name}.tar.gz`);
const pack = (file = outFile()) => packBundle({ sourceDir, keyFile, rootName: ROOT_NAME, outFile: file });

describe('packBundle', () => {
  it('packs every rendered file and the key under one folder, with the modes the device needs', async () => {
    // Whatever the modes on this machine: a user's umask, an editor's save, a looser key.
    chmodSync(join(sourceDir, 'install.sh'), 0o700);
    chmodSync(join(sourceDir, 'config.yaml'), 0o600);
    chmodSync(keyFile, 0o640);
    await pack();
    expect(await entriesOf(outFile())).toEqual([
      [`${ROOT_NAME}/`, '755'],
      [`${ROOT_NAME}/README.md`, '644'],
      [`${ROOT_NAME}/config.yaml`, '644'],
      [`${ROOT_NAME}/device.pem.crt`, '644'],
      [`${ROOT_NAME}/install.sh`, '755'],
      [`${ROOT_NAME}/uninstall.sh`, '755'],
      [`${ROOT_NAME}/private.pem.key`, '600'],
    ]);
  });

  it('unpacks with the system tar to the files and key as rendered', async () => {
    await pack();
    const device = join(dir, 'device');
    mkdirSync(device);
    const untar = spawnSync('tar', ['-xzf', outFile(), '-C', device], { encoding: 'utf8' });
    expect(untar.status, untar.stderr).toBe(0);
    const unpacked = join(device, ROOT_NAME);
    expect(readFileSync(join(unpacked, 'private.pem.key'), 'utf8')).toBe(KEY);
    expect(statSync(join(unpacked, 'private.pem.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(unpacked, 'install.sh')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(unpacked, 'config.yaml'), 'utf8')).toBe(readFileSync(join(sourceDir, 'config.yaml'), 'utf8'));
  });

  it('writes the archive 0600 into a 0700 folder, leaving no temporary file', async () => {
    await pack();
    expect(statSync(outFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(outFile(), '..')).mode & 0o777).toBe(0o700);
    expect(spawnSync('ls', ['-A', join(outFile(), '..')], { encoding: 'utf8' }).stdout).toBe('bundle.tar.gz\n');
  });

  it('gives the same bytes when packed again, whatever the files’ times', async () => {
    await pack(outFile('first'));
    utimesSync(join(sourceDir, 'README.md'), new Date('2024-05-01'), new Date('2024-05-01'));
    utimesSync(sourceDir, new Date('2023-01-01'), new Date('2023-01-01'));
    await pack(outFile('second'));
    expect(readFileSync(outFile('second')).equals(readFileSync(outFile('first')))).toBe(true);
  });

  it('never prints the key', async () => {
    const printed = [jest.spyOn(console, 'log'), jest.spyOn(console, 'error'), jest.spyOn(console, 'warn')];
    await pack();
    for (const spy of printed) {
      expect(spy.mock.calls.flat().join('\n')).not.toContain('device-key-fixture');
      spy.mockRestore();
    }
  });

  it('says which key is missing', async () => {
    rmSync(keyFile);
    await expect(pack()).rejects.toThrow(`The private key of ${ROOT_NAME} is missing: ${keyFile}.`);
  });
});
