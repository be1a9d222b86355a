// A temporary git repository holding this workspace's files (what a clone would get),
// with node_modules linked from this workspace so nothing is installed again.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const WORKSPACE = join(__dirname, '../../../..');

export type CacheStatus = 'cache-miss' | 'hit';

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { code: result.status, output: stripVTControlCharacters(`${result.stdout}${result.stderr}`) };
}

function git(cwd: string, ...args: string[]): string {
  const result = run('git', ['-c', 'user.name=Pushbutton tests', '-c', 'user.email=tests@pushbutton.invalid', ...args], cwd);
  if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed:\n${result.output}`);
  return result.output;
}

/** node_modules entries linked from the workspace (the packages' own too), but this copy's own packages for @pushbutton/*. */
function linkNodeModules(root: string): void {
  const modules = join(root, 'node_modules');
  mkdirSync(join(modules, '@pushbutton'), { recursive: true });
  for (const entry of readdirSync(join(WORKSPACE, 'node_modules'))) {
    if (entry !== '@pushbutton') symlinkSync(join(WORKSPACE, 'node_modules', entry), join(modules, entry));
  }
  for (const dir of readdirSync(join(root, 'packages'))) {
    const { name } = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    symlinkSync(join(root, 'packages', dir), join(modules, name));
    // What npm installed for this package alone (a version other than the root's).
    const own = join(WORKSPACE, 'packages', dir, 'node_modules');
    if (existsSync(own)) symlinkSync(own, join(root, 'packages', dir, 'node_modules'));
  }
}

export class TempWorkspace {
  private constructor(
    readonly root: string,
    readonly cacheDir: string,
  ) {}

  /** A copy in a new folder under `parent`. */
  static create(parent = tmpdir()): TempWorkspace {
    const base = mkdtempSync(join(parent, 'pushbutton-e2e-'));
    const ws = new TempWorkspace(join(base, 'workspace'), join(base, 'nx-cache'));
    ws.cloneHere();
    return ws;
  }

  /** A fresh clone in place of this one, at the same path, sharing its Nx cache folder. */
  recloneAtSamePath(): void {
    rmSync(this.root, { recursive: true, force: true });
    this.cloneHere();
  }

  /** `git clean -fdx` (Nx's cache is outside, and stays), then node_modules back as `npm ci` would make it. */
  gitCleanAndReinstall(): void {
    this.git('clean', '-fdxq');
    linkNodeModules(this.root);
  }

  private cloneHere(): void {
    const root = this.root;
    const files = git(WORKSPACE, 'ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0').filter(Boolean);
    for (const file of files) {
      if (!existsSync(join(WORKSPACE, file))) continue; // deleted, not yet committed
      mkdirSync(dirname(join(root, file)), { recursive: true });
      cpSync(join(WORKSPACE, file), join(root, file));
    }
    linkNodeModules(root);
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'base');
  }

  /**
   * The environment of a user with no AWS credentials and no daemon, with Nx's cache and its
   * database outside the clone, as Nx 23 keeps them per user: `git clean` and a new clone keep them.
   */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_') && !key.startsWith('NX_')) env[key] = value;
    return {
      ...env,
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      NX_TUI: 'false',
      NX_CACHE_DIRECTORY: this.cacheDir,
      NX_WORKSPACE_DATA_DIRECTORY: join(dirname(this.cacheDir), 'nx-workspace-data'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(this.root, '.no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(this.root, '.no-aws-credentials'),
      TF_PLUGIN_CACHE_DIR: process.env.TF_PLUGIN_CACHE_DIR ?? join(tmpdir(), 'pushbutton-tf-plugin-cache'),
      ...extra,
    };
  }

  /** Runs a command in the clone, with the user's environment. */
  run(command: string, args: string[]) {
    return run(command, args, this.root, this.env());
  }

  nx(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
    rmSync(join(this.cacheDir, 'run.json'), { force: true });
    return run(process.execPath, [join(this.root, 'node_modules/nx/dist/bin/nx.js'), ...args], this.root, this.env(extraEnv));
  }

  /** Each task of the last Nx run: `cache-miss` if it executed, `hit` if it came from the cache. */
  lastRun(): Record<string, CacheStatus> {
    const file = join(this.cacheDir, 'run.json');
    if (!existsSync(file)) return {};
    const { tasks } = JSON.parse(readFileSync(file, 'utf8')) as { tasks: { taskId: string; cacheStatus: string }[] };
    return Object.fromEntries(tasks.map((t) => [t.taskId, t.cacheStatus === 'cache-miss' ? 'cache-miss' : 'hit']));
  }

  path(file: string): string {
    return join(this.root, file);
  }

  read(file: string): string {
    return readFileSync(this.path(file), 'utf8');
  }

  edit(file: string, change: (text: string) => string): void {
    const before = this.read(file);
    const after = change(before);
    if (after === before) throw new Error(`test setup: the edit left ${file} unchanged`);
    writeFileSync(this.path(file), after);
  }

  /** Commits every change, new files too (ignored ones stay out). */
  commit(message: string): void {
    git(this.root, 'add', '-A');
    git(this.root, 'commit', '-qm', message);
  }

  git(...args: string[]): string {
    return git(this.root, ...args);
  }

  gitStatus(): string {
    return git(this.root, 'status', '--porcelain');
  }

  dispose(): void {
    rmSync(dirname(this.root), { recursive: true, force: true });
  }
}
