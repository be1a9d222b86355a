// Shared helpers of the benchmark suite: temporary workspaces, running and timing processes,
// medians, markdown tables, and the results section of docs/performance.md.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPackages } from '../build-packages.mjs';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const NX_BIN = 'node_modules/nx/dist/bin/nx.js';
export const REHEARSE = ['run', 'infra:provision:rehearse'];
/** How Nx loads executors: @swc-node/register with the workspace's tsconfig.base.json. */
export const TRANSPILER = ['-r', '@swc-node/register'];

// The e2e tests' temporary git copy of the workspace (TypeScript): loaded through the transpiler
// in this orchestrating process only; no measured command pays for it.
const require = createRequire(import.meta.url);
require('@swc-node/register');
const { TempWorkspace } = require('../../packages/nx-plugin/test/e2e/temp-workspace.ts');
const { STEPS } = require('../../packages/nx-plugin/src/steps/registry.js');
/** Where a run writes things in a workspace (the plugin's own paths). */
export const { paths } = require('../../packages/nx-plugin/src/paths.js');

/** The stacks, in the order they provision. */
export const STACKS = STEPS.flatMap((step) => step.units).filter((unit) => unit.kind === 'stack').map((unit) => unit.name);
/** The environment TRANSPILER needs in a copy: its tsconfig. */
export const transpilerEnv = (root) => ({ SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') });
/** What a probe (tools/bench/probes) printed on its `BENCH {json}` line. */
export const probeResult = (output) => JSON.parse(/^BENCH (.*)$/m.exec(output)[1]);

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
export const seconds = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);
export const millis = (ms) => `${Math.round(ms)} ms`;
export const megabytes = (kb) => `${Math.round(kb / 1024)} MB`;
/** "12.3 s (11.9–13.0)": the median, and the range of the runs. */
export const spread = (values, format = seconds) =>
  values.length > 1 ? `${format(median(values))} (${format(Math.min(...values))}–${format(Math.max(...values))})` : format(values[0]);
export const ratio = (a, b) => (a / b).toFixed(2);
export const met = (ok) => (ok ? 'yes' : '**no**');
/** A results row that judges the ratio of two medians against `≤ target`. */
export const ratioRow = (label, value, floor, target) => [label, '', '', ratio(value, floor), `≤ ${target.toFixed(2)}`, met(value / floor <= target)];

/** A markdown table: `rows` are arrays of cells. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.map((c) => String(c ?? '').replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
/** The table every benchmark leads with. */
export const RESULT_HEADER = ['what', 'median (min–max)', 'runs', 'ratio', 'target', 'met?'];

// ---------------------------------------------------------------------------------------------
// Running processes

/** Runs a command to completion; throws with its output on failure. */
export function sh(command, args, options = {}) {
  return execFileSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** The sum of the resident memory (KB) of a process and all its descendants, now. */
function treeRssKb(rootPid) {
  const children = new Map();
  const rss = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
      rss.set(Number(entry), Number(fields[21]) * 4);
    } catch {
      // the process ended while we looked
    }
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop();
    total += rss.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/**
 * Runs a command under GNU time: wall time (ms, measured here), peak RSS of the largest process of
 * its tree (KB, from time), and, with `sampleTree`, the peak of the whole tree's RSS (sampled every 50 ms).
 * Output goes to `log`. Throws if the command fails, with the end of its output.
 */
export function measure(command, args, { cwd, env, log, sampleTree = false }) {
  const timeFile = `${log}.time`;
  mkdirSync(dirname(log), { recursive: true });
  writeFileSync(log, `$ ${command} ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const start = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%e %M', command, ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => chunks.push(d));
    let treeKb = 0;
    const sampler = sampleTree ? setInterval(() => (treeKb = Math.max(treeKb, treeRssKb(child.pid))), 50) : null;
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      if (sampler) clearInterval(sampler);
      const output = Buffer.concat(chunks).toString('utf8');
      writeFileSync(log, output, { flag: 'a' });
      const [, maxRss] = (existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) : '0 0').split(' ');
      if (code !== 0) {
        const error = new Error(`${command} ${args.join(' ')} failed (exit ${code}) in ${cwd}; log: ${log}\n${output.slice(-3000)}`);
        error.output = output;
        reject(error);
        return;
      }
      resolve({ startedAt, endedAt: startedAt + wallMs, wallMs, maxRssKb: Number(maxRss), treeRssKb: treeKb || undefined, output });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The environment, temporary folders and workspaces

/** The Terraform provider mirror: $PUSHBUTTON_TF_PLUGIN_DIR, else what tools/ci/find-provider-mirror.sh finds. */
function pluginDir() {
  if (process.env.PUSHBUTTON_TF_PLUGIN_DIR) return process.env.PUSHBUTTON_TF_PLUGIN_DIR;
  const version = JSON.parse(readFileSync(join(REPO, 'node_modules/@cdktf/provider-aws/package.json'), 'utf8')).cdktf.provider.version;
  const found = sh('bash', [join(REPO, 'tools/ci/find-provider-mirror.sh'), version]).trim();
  if (!found) throw new Error(`No filesystem mirror of hashicorp/aws ${version} found; set PUSHBUTTON_TF_PLUGIN_DIR.`);
  return found;
}

/** Everything a benchmark needs: options, its temporary folder, workspaces, and progress output. */
export class Bench {
  constructor({ runs, coldRuns, keep }) {
    this.runs = runs;
    this.coldRuns = coldRuns;
    this.keep = keep;
    this.tmp = mkdtempSync(join(tmpdir(), 'pushbutton-bench-'));
    this.workspaces = [];
    this.logCount = 0;
    this.rehearsed = undefined;
  }

  /** The provider mirror, found when a benchmark first runs Terraform. */
  get pluginDir() {
    return (this.foundPluginDir ??= pluginDir());
  }

  log(message) {
    process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  }

  /** A file name for a command's log, in order. */
  logFile(name) {
    return join(this.tmp, 'logs', `${String(++this.logCount).padStart(3, '0')}-${name}.log`);
  }

  /** A fresh temporary git copy of the workspace (empty Nx cache, no .pushbutton/), inside the bench's folder. */
  workspace() {
    const ws = TempWorkspace.create(this.tmp);
    this.workspaces.push(ws);
    return ws;
  }

  dispose(ws) {
    if (this.keep) return;
    ws.dispose();
    this.workspaces = this.workspaces.filter((w) => w !== ws);
  }

  /** The environment of every Nx and Terraform run: no daemon, no cloud, the copy's own Nx cache, offline Terraform. */
  env(ws, extra = {}) {
    const env = ws.env({
      PUSHBUTTON_TF_PLUGIN_DIR: this.pluginDir,
      ...extra,
    });
    if (env.TF_CLI_CONFIG_FILE && !existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE;
    for (const key of Object.keys(env)) if (key.startsWith('npm_')) delete env[key];
    return env;
  }

  /** `nx <args>` in the copy, timed; with the tasks of run.json (taskId → cacheStatus, and timings). */
  async nx(ws, args, { name = 'nx', env = {} } = {}) {
    rmSync(join(ws.cacheDir, 'run.json'), { force: true });
    const result = await measure(process.execPath, [NX_BIN, ...args], { cwd: ws.root, env: this.env(ws, env), log: this.logFile(name) });
    return { ...result, ...lastRun(ws.cacheDir) };
  }

  /**
   * A copy with Pushbutton as a user gets it: its packages built as published (JavaScript, by
   * tools/build-packages.mjs) and installed in node_modules, not projects of the workspace. In
   * this repository they are workspace packages whose TypeScript Nx loads through a transpiler,
   * and which Nx resolves as a local plugin, at a cost (benchmarks 2 to 4).
   */
  workspaceWithInstalledPlugin() {
    const ws = this.workspace();
    // The packages are built once per suite run, from this repository (what every copy holds).
    this.published ??= buildPackages(REPO, join(this.tmp, 'published'));
    const lock = JSON.parse(readFileSync(join(ws.root, 'package-lock.json'), 'utf8'));
    for (const [name, built] of Object.entries(this.published)) {
      const dir = basename(built);
      const installed = join(ws.root, 'node_modules', name);
      rmSync(installed);
      cpSync(built, installed, { recursive: true });
      // What npm installed for the package alone (versions other than the root's) stays beside it.
      const own = join(REPO, 'packages', dir, 'node_modules');
      if (existsSync(own)) symlinkSync(own, join(installed, 'node_modules'));
      const { version, dependencies } = JSON.parse(readFileSync(join(built, 'package.json'), 'utf8'));
      lock.packages[`node_modules/${name}`] = { version, resolved: `https://registry.npmjs.org/${name}/-/${dir}-${version}.tgz`, dependencies };
      delete lock.packages[`packages/${dir}`];
    }
    rmSync(join(ws.root, 'packages'), { recursive: true });
    lock.packages[''].workspaces = [];
    writeFileSync(join(ws.root, 'package-lock.json'), JSON.stringify(lock, null, 2) + '\n');
    const pkg = JSON.parse(readFileSync(join(ws.root, 'package.json'), 'utf8'));
    writeFileSync(join(ws.root, 'package.json'), JSON.stringify({ ...pkg, workspaces: [] }, null, 2) + '\n');
    ws.commit('Pushbutton installed from a registry, not workspace packages');
    return ws;
  }

  /**
   * Makes a copy the same workspace without Pushbutton: no plugin in nx.json, and, if given, a
   * project written out in config/project.json in place of the inferred one.
   */
  withoutPlugin(ws, project) {
    const nxJson = join(ws.root, 'nx.json');
    const config = JSON.parse(readFileSync(nxJson, 'utf8'));
    // Only Pushbutton goes: the workspace's other plugins (@nx/jest) cost Nx the same either way.
    const plugins = (config.plugins ?? []).filter((plugin) => (typeof plugin === 'string' ? plugin : plugin.plugin) !== '@pushbutton/nx-plugin');
    writeFileSync(nxJson, JSON.stringify({ ...config, plugins }, null, 2) + '\n');
    if (project) writeFileSync(join(ws.root, 'config/project.json'), JSON.stringify(project, null, 2) + '\n');
    ws.commit('the floor: no plugin');
    return ws;
  }

  /**
   * A copy that has been rehearsed once: every task's output is in its Nx cache, and the disk
   * cache holds the provider. Shared by the benchmarks of one suite run (the one-key change runs last).
   */
  async rehearsedWorkspace() {
    if (!this.rehearsed) {
      const ws = this.workspace();
      this.log('warm-up: a first rehearsal in a fresh copy');
      const run = await this.nx(ws, REHEARSE, { name: 'warm-up-rehearsal' });
      this.log(`warm-up: ${seconds(run.wallMs)}, ${run.tasks.length} tasks`);
      this.rehearsed = ws;
    }
    return this.rehearsed;
  }

  cleanup() {
    if (this.keep) {
      this.log(`kept ${this.tmp}`);
      return;
    }
    for (const ws of this.workspaces) ws.dispose();
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** The tasks of the last Nx run, from run.json in the cache folder. */
function lastRun(cacheDir) {
  const file = join(cacheDir, 'run.json');
  if (!existsSync(file)) return { tasks: [] };
  const { tasks } = JSON.parse(readFileSync(file, 'utf8'));
  return {
    tasks: tasks.map((t) => ({
      id: t.taskId,
      executed: t.cacheStatus === 'cache-miss',
      startMs: Date.parse(t.startTime),
      endMs: Date.parse(t.endTime),
    })),
  };
}

/** Runs `fns` (async functions of the round number) in rounds, alternating which goes first, so drift hits each alike. */
export async function interleave(rounds, fns) {
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...fns].reverse() : fns;
    for (const fn of order) await fn(round);
  }
}

// ---------------------------------------------------------------------------------------------
// The machine, and docs/performance.md

export function machine() {
  const version = (cmd, args, pick) => {
    try {
      return pick(sh(cmd, args));
    } catch {
      return 'not found';
    }
  };
  return {
    cpus: `${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'unknown CPU'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    terraform: version('terraform', ['version', '-json'], (out) => JSON.parse(out).terraform_version),
    nx: JSON.parse(readFileSync(join(REPO, 'node_modules/nx/package.json'), 'utf8')).version,
    date: new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
  };
}

const DOC = join(REPO, 'docs/performance.md');
const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';
const BLOCK = /<!-- bench:block ([\w-]+) -->\n/;

/**
 * Rewrites the results section between the markers: the machine line, then one block per
 * benchmark in `order`; a benchmark not run this time keeps the block it had.
 */
export function writeResults(order, blocks, info) {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${DOC} lacks the ${START} and ${END} markers`);
  const old = new Map();
  const parts = doc.slice(start + START.length, end).split(BLOCK);
  for (let i = 1; i < parts.length; i += 2) old.set(parts[i], parts[i + 1].trim());
  const head =
    `Last run: ${info.date}, on ${info.cpus}, ${info.memory}; Node ${info.node}, Terraform ${info.terraform}, Nx ${info.nx}. ` +
    `Each block says when it was measured.`;
  const body = order
    .filter((id) => blocks[id] ?? old.has(id))
    .map((id) => `<!-- bench:block ${id} -->\n${(blocks[id] ?? old.get(id)).trim()}`)
    .join('\n\n');
  writeFileSync(DOC, `${doc.slice(0, start)}${START}\n${head}\n\n${body}\n${doc.slice(end)}`);
}
