// A device bundle: the rendered files and the device's private key in one reproducible .tar.gz
// that unpacks to a single folder. The archive holds a private key, so it is written 0600 into
// a 0700 folder, and nothing here prints the key or its content.
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { create, type WriteEntry } from 'tar';
import { writeFileAtomic } from '../fs-atomic';

export interface PackBundleOptions {
  /** Absolute: the rendered files of one device. */
  sourceDir: string;
  /** Absolute: the device's private key; packed as `<rootName>/private.pem.key`. */
  keyFile: string;
  /** The one folder the archive unpacks to. */
  rootName: string;
  /** Absolute: the .tar.gz to write. */
  outFile: string;
}

const KEY_NAME = 'private.pem.key';
/** Every entry gets this modification time, so packing the same files gives the same bytes. */
const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');

export async function packBundle({ sourceDir, keyFile, rootName, outFile }: PackBundleOptions): Promise<void> {
  if (!existsSync(keyFile)) throw new Error(`The private key of ${rootName} is missing: ${keyFile}. Apply the step that creates the device first.`);
  const entries = entriesUnder(sourceDir);
  if (entries.includes(KEY_NAME)) throw new Error(`${sourceDir} holds a ${KEY_NAME}; the bundle takes the key only from ${keyFile}.`);

  const folder = dirname(outFile);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);
  const key = resolve(keyFile);
  const archive = create(
    {
      gzip: true,
      portable: true,
      mtime: FIXED_MTIME,
      cwd: sourceDir,
      prefix: rootName,
      // Entries are listed one by one, sorted, so the order never depends on the file system.
      noDirRecurse: true,
      onWriteEntry: (entry) => normalizeEntry(entry, key),
    },
    // './' keeps a file named like '@x' from being read as an archive to append.
    ['.', ...entries.map((entry) => `./${entry}`), key],
  );
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(Buffer.from(chunk));
  writeFileAtomic(outFile, Buffer.concat(chunks), 0o600);
}

/** Sets the path of the key entry, and every entry's mode; the prefix is added after this. */
function normalizeEntry(entry: WriteEntry, key: string): void {
  if (entry.absolute === key) entry.path = KEY_NAME;
  const stat = entry.stat!; // tar stats every entry before it writes its header
  stat.mode = (stat.mode & ~0o7777) | modeOf(entry.path, entry.type === 'Directory');
}

function modeOf(path: string, isDirectory: boolean): number {
  if (isDirectory || path.endsWith('.sh')) return 0o755;
  return basename(path) === KEY_NAME ? 0o600 : 0o644;
}

/** Folders and files under dir, relative and sorted, folders before what they hold. */
function entriesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? [name, ...entriesUnder(path).map((child) => `${name}/${child}`)] : [name];
    });
}
