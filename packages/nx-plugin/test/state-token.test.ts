import { mockClient } from 'aws-sdk-client-mock';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths } from '../src/paths';
import { recordState, stateFingerprint, stateToken, writeRecord } from '../src/state-token';

// The module under test is CommonJS: mock the S3 client class it requires, not the ESM build.
const requireCjs = createRequire(__filename);
const { HeadObjectCommand, S3Client } = requireCjs('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');

const STATE = '.pushbutton/somewhere/terraform.tfstate';
const KEY = '.pushbutton/keys/device/private.pem.key';
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pushbutton-token-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function write(file: string, content: string) {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), content);
}

/** What Nx does on each run: hash the token, then (on a miss) run, which records the state it left. */
async function run(mode: 'live' | 'rehearse', newState: string) {
  const token = await stateToken(root, mode, 'network');
  write(STATE, newState);
  write(KEY, 'a key');
  await recordState(root, mode, 'network', { files: [STATE], present: [KEY] });
  return token;
}

describe.each(['live', 'rehearse'] as const)('the %s state fingerprint', (mode) => {
  it("stays the same across Pushbutton's own runs, so the next run is a cache hit", async () => {
    const first = await run(mode, 'state after the first apply');
    expect(await stateToken(root, mode, 'network')).toBe(first);
    expect(await run(mode, 'state after a no-op apply')).toBe(first);
    expect(await stateToken(root, mode, 'network')).toBe(first);
  });

  it('changes when the state vanishes, and again each time it vanishes', async () => {
    const first = await run(mode, 'applied');
    rmSync(join(root, STATE));
    const afterDelete = await stateToken(root, mode, 'network');
    expect(afterDelete).not.toBe(first);
    await run(mode, 'applied');
    rmSync(join(root, STATE));
    const afterSecondDelete = await stateToken(root, mode, 'network');
    expect(new Set([first, afterDelete, afterSecondDelete]).size).toBe(3);
  });

  it('changes when the state changed outside Pushbutton, or a file that must exist is gone', async () => {
    const first = await run(mode, 'applied');
    write(STATE, 'changed by hand');
    const changed = await stateToken(root, mode, 'network');
    expect(changed).not.toBe(first);
    expect(await stateToken(root, mode, 'network')).toBe(changed);
    rmSync(join(root, KEY));
    expect(await stateToken(root, mode, 'network')).not.toBe(changed);
  });

  it('changes, and does not fail, when the record of the last run is damaged', async () => {
    const first = await run(mode, 'applied');
    write(paths.recordFile(mode, 'network'), '{ "files": [');
    const damaged = await stateToken(root, mode, 'network');
    expect(damaged).not.toBe(first);
    expect(await stateFingerprint(root, 'network', { remote: false })).toContain(`${mode}:${damaged}`);
  });

  it('changes when the record of the last run is gone', async () => {
    const first = await run(mode, 'applied');
    rmSync(join(root, paths.recordFile(mode, 'network')));
    expect(await stateToken(root, mode, 'network')).not.toBe(first);
  });
});

it('keeps the live and rehearsal fingerprints apart', async () => {
  const live = await run('live', 'live state');
  const rehearsal = await stateToken(root, 'rehearse', 'network');
  await recordState(root, 'rehearse', 'network', { files: ['.pushbutton/rehearsed.json'] });
  expect(await stateToken(root, 'live', 'network')).toBe(live);
  expect(await stateToken(root, 'rehearse', 'network')).toBe(rehearsal);
  write('.pushbutton/rehearsed.json', 'changed');
  expect(await stateToken(root, 'rehearse', 'network')).not.toBe(rehearsal);
  expect(await stateToken(root, 'live', 'network')).toBe(live);
});

describe('a state kept in S3', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());
  beforeEach(() => writeRecord(root, 'live', 'network', { s3: { bucket: 'team-state', key: 'pushbutton/network.tfstate' } }));

  it('is left to the runtime input unless asked to read it', async () => {
    expect(await stateFingerprint(root, 'network', { remote: false })).toMatch(/^live:remote rehearse:[0-9a-f]{32}$/);
    expect(s3.calls()).toHaveLength(0);
  });

  it('is identified by the object\'s ETag and version: a change by anyone else changes the token', async () => {
    s3.on(HeadObjectCommand, { Bucket: 'team-state', Key: 'pushbutton/network.tfstate' }).resolves({ ETag: '"a"', VersionId: '1' });
    const first = await stateFingerprint(root, 'network', { remote: true });
    expect(await stateFingerprint(root, 'network', { remote: true })).toBe(first);
    s3.on(HeadObjectCommand).resolves({ ETag: '"b"', VersionId: '2' });
    expect(await stateFingerprint(root, 'network', { remote: true })).not.toBe(first);
  });
});
