import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths } from '../src/paths';
import { recordAppliedState, stateToken } from '../src/state-token';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pushbutton-token-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function writeState(mode: 'live' | 'rehearse', content: string) {
  const file = join(root, mode === 'live' ? paths.localStateFile('network') : paths.rehearsalStateFile('network'));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

/** What Nx does on each run: hash the token, then (on a miss) apply, which records the new state. */
async function applyRun(mode: 'live' | 'rehearse', newState: string) {
  const token = await stateToken(root, mode, 'network');
  writeState(mode, newState);
  await recordAppliedState(root, mode, 'network');
  return token;
}

describe.each(['live', 'rehearse'] as const)('the %s state fingerprint', (mode) => {
  it("stays the same across Pushbutton's own applies, so the next run is a cache hit", async () => {
    const first = await applyRun(mode, 'state after the first apply');
    expect(await stateToken(root, mode, 'network')).toBe(first);
    const second = await applyRun(mode, 'state after a no-op apply');
    expect(second).toBe(first);
    expect(await stateToken(root, mode, 'network')).toBe(first);
  });

  it('changes when the state vanishes, and again each time it vanishes', async () => {
    const first = await applyRun(mode, 'applied');
    const file = writeState(mode, 'applied');
    rmSync(file);
    const afterDelete = await stateToken(root, mode, 'network');
    expect(afterDelete).not.toBe(first);
    await applyRun(mode, 'applied');
    rmSync(file);
    const afterSecondDelete = await stateToken(root, mode, 'network');
    expect(new Set([first, afterDelete, afterSecondDelete]).size).toBe(3);
  });

  it('changes when the state changed outside Pushbutton', async () => {
    const first = await applyRun(mode, 'applied');
    writeState(mode, 'changed by hand');
    const changed = await stateToken(root, mode, 'network');
    expect(changed).not.toBe(first);
    expect(await stateToken(root, mode, 'network')).toBe(changed);
  });
});

it('keeps the live and rehearsal fingerprints apart', async () => {
  const live = await applyRun('live', 'live state');
  const rehearsal = await stateToken(root, 'rehearse', 'network');
  writeState('rehearse', 'rehearsed');
  expect(await stateToken(root, 'live', 'network')).toBe(live);
  expect(await stateToken(root, 'rehearse', 'network')).not.toBe(rehearsal);
});
