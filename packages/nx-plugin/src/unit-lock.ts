// One run at a time per unit and mode: two provisions at once in one workspace would apply, launch
// or deliver the same unit twice. A lock file names the process that holds it; a second run
// refuses at once and names it, and a lock left by a process that is gone is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Mode } from './mode';
import { paths } from './paths';

interface Holder {
  pid: number;
  started: string;
  command: string;
}

export const lockFile = (mode: Mode, unit: string) => join(paths.runDir, 'locks', mode, `${unit}.lock`);

/** Whether process `pid` still runs. */
export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function holderOf(file: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

/** Takes the unit's lock, or says who holds it; takes over a lock whose process is gone. */
function acquire(file: string, unit: string): void {
  mkdirSync(dirname(file), { recursive: true });
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(file, 'wx');
      const holder: Holder = { pid: process.pid, started: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
      writeSync(fd, JSON.stringify(holder));
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = holderOf(file);
    if (holder && holder.pid !== process.pid && alive(holder.pid)) {
      throw new Error(
        `Another run is working on ${unit} right now: process ${holder.pid}, started ${holder.started}. ` +
          'Wait for it to finish (or stop it), then run again; two runs at once would change the same resources twice.',
      );
    }
    // Left by a run that is gone (killed, or its machine restarted): nothing holds it.
    rmSync(file, { force: true });
  }
  throw new Error(`Could not take the lock of ${unit} (${file}): another run took it at the same moment. Run again.`);
}

/** Runs `body` holding the lock of `unit` in `mode`; the lock goes when it ends, however it ends. */
export async function withUnitLock<T>(root: string, mode: Mode, unit: string, body: () => Promise<T>): Promise<T> {
  const file = join(root, lockFile(mode, unit));
  acquire(file, unit);
  try {
    return await body();
  } finally {
    if (holderOf(file)?.pid === process.pid) rmSync(file, { force: true });
  }
}
