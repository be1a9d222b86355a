import { mockClient } from 'aws-sdk-client-mock';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { paths } from '../src/paths';
import { forgetState, hashWithToken, recordState, StateParts } from '../src/state-token';

import { GreengrassV2Client, ListInstalledComponentsCommand } from '@aws-sdk/client-greengrassv2';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { checkCallsAgainstAwsModels } from './aws-models';

const STATE = '.pushbutton/live/network/terraform.tfstate';
const KEY = '.pushbutton/keys/live/device/private.pem.key';
const LOCAL: StateParts = { files: [STATE], present: [KEY] };
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pushbutton-token-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function write(file: string, content: string) {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), content);
}

const withToken = (inputs: string) => (token: string) => createHash('sha256').update(`${inputs}\n${token}`).digest('hex');

/** What Nx does when it hashes the task: its inputs hash, with the unit's token. */
const hashTask = (inputs: string, mode: 'live' | 'rehearse' = 'live', unit = 'network') => hashWithToken(root, mode, unit, inputs, withToken(inputs));

/** A whole task as Nx runs it: hashed; on a miss, run (leaving `state`) and recorded under that hash. */
async function provision(inputs: string, cache: Set<string>, parts: StateParts = LOCAL, mode: 'live' | 'rehearse' = 'live') {
  const hash = await hashTask(inputs, mode);
  if (cache.has(hash)) return 'hit';
  forgetState(root, mode, 'network');
  write(STATE, `state applied from ${inputs}`);
  write(KEY, 'a key');
  await recordState(root, mode, 'network', parts, hash);
  cache.add(hash);
  return 'ran';
}

describe('a unit cached on its inputs and its state token', () => {
  it('is a cache hit when nothing changed (A then A)', async () => {
    const cache = new Set<string>();
    expect(await provision('A', cache)).toBe('ran');
    expect(await provision('A', cache)).toBe('hit');
    expect(await provision('A', cache)).toBe('hit');
  });

  it('runs again when config returns to an earlier value (A, B, then A), and is a hit on the re-run after it', async () => {
    const cache = new Set<string>();
    expect(await provision('A', cache)).toBe('ran');
    expect(await provision('B', cache)).toBe('ran');
    expect(await provision('A', cache)).toBe('ran');
    expect(await provision('A', cache)).toBe('hit');
    expect(await provision('B', cache)).toBe('ran');
  });

  it.each([
    ['the record is gone', () => rmSync(join(root, paths.recordFile('live', 'network')))],
    ['the whole unit folder is gone', () => rmSync(join(root, '.pushbutton/live/network'), { recursive: true })],
    ['the record is damaged', () => write(paths.recordFile('live', 'network'), '{ "token": ')],
    ['the state was changed by hand', () => write(STATE, 'changed by hand')],
    ['a key the state relies on is gone', () => rmSync(join(root, KEY))],
    ['the unit was destroyed', () => forgetState(root, 'live', 'network')],
  ])('runs again, under a token no earlier run used, when %s', async (_, lose) => {
    const cache = new Set<string>();
    await provision('A', cache);
    await provision('B', cache);
    await provision('A', cache);
    lose();
    expect(await provision('A', cache)).toBe('ran');
    expect(await provision('A', cache)).toBe('hit');
    lose();
    expect(await provision('B', cache)).toBe('ran');
  });

  it('starts from a token of its own in every clone, so a shared cache holds no hit for a new clone', async () => {
    const cache = new Set<string>();
    await provision('A', cache);
    rmSync(join(root, '.pushbutton'), { recursive: true });
    const hashes = new Set([await hashTask('A'), await hashTask('A'), await hashTask('A')]);
    expect(hashes.size).toBe(3);
    for (const hash of hashes) expect(cache.has(hash)).toBe(false);
  });

  it('records nothing for a run Nx did not hash that way, so the next run runs', async () => {
    const cache = new Set<string>();
    await provision('A', cache);
    await hashTask('A');
    await recordState(root, 'live', 'network', LOCAL, 'a hash from another run');
    expect(await provision('A', cache)).toBe('ran');
    await hashTask('A');
    await recordState(root, 'live', 'network', LOCAL, undefined);
    expect(await provision('A', cache)).toBe('ran');
  });

  it('runs again after a run that failed or was killed before it recorded (the record is forgotten first)', async () => {
    const cache = new Set<string>();
    await provision('A', cache);
    await hashTask('B');
    forgetState(root, 'live', 'network'); // the run of B starts, then dies half-way
    write(STATE, 'half of B');
    expect(await provision('A', cache)).toBe('ran');
  });

  it('keeps the live and rehearsal tokens apart', async () => {
    const cache = new Set<string>();
    const rehearsed: StateParts = { files: ['.pushbutton/rehearse/network/rehearsal-state.json'] };
    expect(await provision('A', cache, LOCAL, 'live')).toBe('ran');
    expect(await provision('A', cache, rehearsed, 'rehearse')).toBe('ran');
    write('.pushbutton/rehearse/network/rehearsal-state.json', 'changed');
    expect(await provision('A', cache, LOCAL, 'live')).toBe('hit');
    expect(await provision('A', cache, rehearsed, 'rehearse')).toBe('ran');
  });
});

describe('a state kept in S3', () => {
  const s3 = mockClient(S3Client);
  checkCallsAgainstAwsModels({ s3 });
  const REMOTE: StateParts = { s3: { bucket: 'team-state', key: 'pushbutton/network.tfstate', region: 'eu-west-1' } };
  afterEach(() => s3.reset());

  // HeadObject's ETag is a quoted entity tag, VersionId an opaque string
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html#API_HeadObject_ResponseSyntax).
  it("is identified by the object's ETag and version: a change by anyone else makes the apply run", async () => {
    s3.on(HeadObjectCommand, { Bucket: 'team-state', Key: 'pushbutton/network.tfstate' }).resolves({
      ETag: '"9b2cf535f27731c974343645a3985328"',
      VersionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY',
    });
    const cache = new Set<string>();
    expect(await provision('A', cache, REMOTE)).toBe('ran');
    expect(await provision('A', cache, REMOTE)).toBe('hit');
    s3.on(HeadObjectCommand).resolves({ ETag: '"d41d8cd98f00b204e9800998ecf8427e"', VersionId: 'Xyw8Q9rE0vZ5w1yQ3n7sTgWn8yq.6sHb' });
    expect(await provision('A', cache, REMOTE)).toBe('ran');
    expect(await provision('A', cache, REMOTE)).toBe('hit');
  });

  it('runs, and restores no old entry, in a fresh clone with no record of it', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"9b2cf535f27731c974343645a3985328"', VersionId: '1' });
    const cache = new Set<string>();
    await provision('A', cache, REMOTE);
    rmSync(join(root, '.pushbutton'), { recursive: true });
    expect(await provision('A', cache, REMOTE)).toBe('ran');
  });

  it('runs when the object cannot be read (the run reports why)', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"a"' });
    const cache = new Set<string>();
    await provision('A', cache, REMOTE);
    s3.on(HeadObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    expect(await provision('A', cache, REMOTE)).toBe('ran');
    expect(await provision('A', cache, REMOTE)).toBe('ran');
  });
});

describe('a live run, in the account it changed', () => {
  const sts = mockClient(STSClient);
  checkCallsAgainstAwsModels({ sts });
  afterEach(() => sts.reset());
  // GetCallerIdentity's response (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
  const caller = (account: string) => ({ UserId: 'AIDASAMPLEUSERID', Account: account, Arn: `arn:aws:iam::${account}:user/lab` });

  it('runs again with credentials of another account, and never reuses an entry of the first', async () => {
    const parts: StateParts = { ...LOCAL, account: { id: '111122223333', region: 'eu-west-1' } };
    sts.on(GetCallerIdentityCommand).resolves(caller('111122223333'));
    const cache = new Set<string>();
    expect(await provision('A', cache, parts)).toBe('ran');
    expect(await provision('A', cache, parts)).toBe('hit');
    // STS is asked once per Nx run: another run, with credentials of another account.
    sts.on(GetCallerIdentityCommand).resolves(caller('444455556666'));
    expect(cache.has(await hashWithToken(root, 'live', 'network', 'A', withToken('A'), { nextRun: true }))).toBe(false);
  });
});

describe('core devices, by what Greengrass says they run', () => {
  const greengrass = mockClient(GreengrassV2Client);
  checkCallsAgainstAwsModels({ greengrassv2: greengrass });
  afterEach(() => greengrass.reset());
  const CORES: StateParts = { greengrassCores: { region: 'eu-west-1', thingNames: ['lab-gateway'] } };
  // InstalledComponent, as ListInstalledComponents returns it (Greengrass V2 API reference).
  const running = (components: Record<string, string>) => ({
    installedComponents: Object.entries(components).map(([componentName, componentVersion]) => ({
      componentName,
      componentVersion,
      lifecycleState: 'RUNNING' as const,
      isRoot: true,
    })),
  });

  it('runs the deployment again when a core no longer runs what it deployed (a reinstall)', async () => {
    const deployed = { 'aws.greengrass.Nucleus': '2.16.1', 'aws.greengrass.Cli': '2.16.1' };
    greengrass.on(ListInstalledComponentsCommand, { coreDeviceThingName: 'lab-gateway', topologyFilter: 'ROOT' }).resolves(running(deployed));
    const cache = new Set<string>();
    expect(await provision('A', cache, CORES)).toBe('ran');
    expect(await provision('A', cache, CORES)).toBe('hit');
    greengrass.on(ListInstalledComponentsCommand).resolves(running({ 'aws.greengrass.Nucleus': '2.16.1' }));
    expect(await provision('A', cache, CORES)).toBe('ran');
  });
});
