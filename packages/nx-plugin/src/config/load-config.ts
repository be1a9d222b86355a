// The config on disk, validated (parse-config.ts), remembered between the tasks of a run. Most
// tasks of a run read the same config: parsing its YAML and checking it, with the modules that
// takes, is about a tenth of a second of CPU in each, beside Terraform. The memo keeps the
// settings with what they were made from: every file the parse read or listed, and the plugin's
// code. A task uses it only when all of that is unchanged, and otherwise parses and checks again.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { writeFileAtomic } from '../fs-atomic';
import { paths } from '../paths';
import { requireWhenNeeded } from '../typescript-source';
import type { ListFiles, PushbuttonConfig, ReadConfigText } from './parse-config';

export type { PushbuttonConfig } from './parse-config';

interface ConfigMemo {
  /** The plugin's code it was made by (codeIdentity). */
  code: string;
  /** Each file the parse read, workspace-relative, and a hash of its text (null: no such file). */
  read: [string, string | null][];
  /** Each folder the parse listed, and what was in it (null: no such folder). */
  listed: [string, string[] | null][];
  settings: PushbuttonConfig;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hashOf = (text: string | undefined) => (text === undefined ? null : sha256(text));

/** The text of `path` (relative to `root`), or `undefined` if there is no such file. */
function textOnDisk(root: string, path: string): string | undefined {
  const absolute = join(root, path);
  return existsSync(absolute) ? readFileSync(absolute, 'utf8') : undefined;
}

/** The names of the files directly in `dir` (relative to `root`), or `undefined` if there is no such folder. */
function filesOnDisk(root: string, dir: string): string[] | undefined {
  try {
    return readdirSync(join(root, dir), { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return undefined;
  }
}

/** Every file of the code that turns config into settings, by path, size and time modified: an edit or a new version changes it. */
function codeIdentity(): string {
  const packages = [join(__dirname, '..', '..'), dirname(require.resolve('@pushbutton/stacks/package.json'))];
  const lines: string[] = [];
  for (const root of packages) {
    for (const dir of ['src', 'schemas']) {
      if (!existsSync(join(root, dir))) continue;
      for (const entry of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const file = join(entry.parentPath, entry.name);
        const { size, mtimeMs } = statSync(file);
        lines.push(`${relative(root, file)} ${size} ${mtimeMs}`);
      }
    }
  }
  return sha256(lines.join('\n'));
}

/** The remembered settings, if every file they were made from and the code are as they were then. */
function recall(memoFile: string, root: string, code: string): PushbuttonConfig | undefined {
  let memo: ConfigMemo;
  try {
    memo = deserialize(readFileSync(memoFile)) as ConfigMemo;
  } catch {
    return undefined;
  }
  if (memo.code !== code) return undefined;
  if (!memo.read.every(([path, hash]) => hash === hashOf(textOnDisk(root, path)))) return undefined;
  if (!memo.listed.every(([dir, names]) => JSON.stringify(names) === JSON.stringify(filesOnDisk(root, dir) ?? null))) return undefined;
  return memo.settings;
}

/**
 * Reads and validates every config file in `configDir` (relative to `workspaceRoot`).
 * Throws a ConfigError listing every problem, with file, line and key, if any file is invalid.
 */
export function loadConfig(workspaceRoot: string, configDir: string): PushbuttonConfig {
  const memoFile = join(workspaceRoot, paths.configMemoFile(configDir));
  const code = codeIdentity();
  const remembered = recall(memoFile, workspaceRoot, code);
  if (remembered) return remembered;
  const read = new Map<string, string | null>();
  const listed = new Map<string, string[] | null>();
  const readText: ReadConfigText = (path) => {
    const text = textOnDisk(workspaceRoot, path);
    read.set(path, hashOf(text));
    return text;
  };
  const listFiles: ListFiles = (dir) => {
    const names = filesOnDisk(workspaceRoot, dir);
    listed.set(dir, names ?? null);
    return names;
  };
  const { loadConfigFrom } = requireWhenNeeded(require, './parse-config', __filename.endsWith('.ts')) as typeof import('./parse-config');
  const settings = loadConfigFrom(readText, configDir, listFiles);
  const memo: ConfigMemo = { code, read: [...read], listed: [...listed], settings };
  try {
    writeFileAtomic(memoFile, serialize(memo));
  } catch {
    // Only the next task's time depends on it: a workspace it cannot be written to still validates.
  }
  return settings;
}
