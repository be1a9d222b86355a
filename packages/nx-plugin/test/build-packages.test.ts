import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load-config';

const WORKSPACE = join(__dirname, '../../..');
let root: string;
const built = {
  '@pushbutton/nx-plugin': '',
  '@pushbutton/stacks': '',
};

/** Loads every executor, generator and the plugin itself from the built packages, in plain Node. */
const LOAD_ALL = `
const { join } = require('node:path');
const plugin = join(process.cwd(), 'node_modules/@pushbutton/nx-plugin');
const loaded = [];
for (const [file, key, field] of [['executors.json', 'executors', 'implementation'], ['generators.json', 'generators', 'factory']]) {
  for (const [name, entry] of Object.entries(require(join(plugin, file))[key])) {
    if (typeof require(join(plugin, entry[field])).default !== 'function') throw new Error(name + ' exports no function');
    loaded.push(name);
    if (entry.hasher && typeof require(join(plugin, entry.hasher)) !== 'function') throw new Error(name + "'s hasher is no function");
    if (entry.hasher) loaded.push(name + ' hasher');
  }
}
if (!require(plugin).createNodesV2) throw new Error('no createNodesV2');
const transpilers = Object.keys(require.cache).filter((f) => /node_modules\\/(typescript|@swc)\\//.test(f));
console.log(JSON.stringify({ loaded, transpilers, ts: require.extensions['.ts'] !== undefined }));
`;

/** Loads `good/` and `bad/` config with the built package: settings or error, and whether ajv's compiler was loaded. */
const LOAD_CONFIG = `
const { loadConfig } = require('@pushbutton/nx-plugin/src/config/load-config.js');
const outcome = (dir) => { try { return { settings: loadConfig(process.cwd(), dir) }; } catch (error) { return { error: error.message }; } };
const result = { good: outcome('good'), bad: outcome('bad') };
const compiler = Object.keys(require.cache).filter((f) => /node_modules\\/ajv\\/dist\\/(core|compile)/.test(f));
console.log(JSON.stringify({ ...result, compiler }));
`;

/** The same through this repository's source, which compiles the schemas. */
function outcome(dir: string) {
  try {
    return { settings: JSON.parse(JSON.stringify(loadConfig(root, dir))) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Runs `script` in plain Node in the folder the packages were built into. */
const runBuilt = (script: string) =>
  execFileSync(process.execPath, ['-e', script], {
    cwd: root,
    // The packages' own dependencies, as an install would put them beside them.
    env: { ...process.env, NODE_PATH: join(WORKSPACE, 'node_modules') },
    encoding: 'utf8',
  });

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pushbutton-built-'));
  const output = execFileSync(process.execPath, [join(WORKSPACE, 'tools/build-packages.mjs'), join(root, 'node_modules/@pushbutton')], { encoding: 'utf8' });
  // One line per package: `<name>: <folder>`.
  for (const line of output.trim().split('\n')) {
    const [name, folder] = line.split(': ');
    built[name as keyof typeof built] = join(process.cwd(), folder);
  }
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the packages as published (tools/build-packages.mjs)', () => {
  it('builds each package, with no TypeScript left to transpile and no tests', () => {
    for (const folder of Object.values(built)) expect(existsSync(join(folder, 'package.json')), folder).toBe(true);
    const files = filesUnder(join(root, 'node_modules/@pushbutton'));
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /[/\\]test[/\\]/.test(f))).toEqual([]);
    expect(existsSync(join(built['@pushbutton/nx-plugin'], 'starters/config/project.yaml'))).toBe(true);
    expect(existsSync(join(built['@pushbutton/nx-plugin'], 'starters/templates/core'))).toBe(true);
  });

  it('loads every executor and generator in plain Node, without a transpiler', () => {
    const result = JSON.parse(runBuilt(LOAD_ALL));
    expect(result.loaded).toEqual(
      expect.arrayContaining(['validate', 'synth', 'apply', 'apply hasher', 'destroy', 'effect', 'effect hasher', 'render', 'deliver', 'deliver hasher', 'command', 'summary', 'init', 'workflow', 'study']),
    );
    expect(result).toMatchObject({ transpilers: [], ts: false });
  });

  it("runs a command target's executor through bin/run-target.js in plain Node, and says how to call it when called wrong", () => {
    cpSync(join(WORKSPACE, 'config'), join(root, 'config'), { recursive: true });
    const bin = 'node_modules/@pushbutton/nx-plugin/bin/run-target.js';
    const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, NODE_PATH: join(WORKSPACE, 'node_modules') }, encoding: 'utf8' });
    const validate = run('validate');
    expect(validate.stdout).toMatch(/^Config is valid: config\/core\.yaml, /);
    expect(validate.status).toBe(0);
    const synth = run('synth', 'stack=network');
    expect(synth.stdout).toContain('Synthesized the network stack');
    expect(JSON.parse(readFileSync(join(root, '.pushbutton/synth/network/stacks/network/cdk.tf.json'), 'utf8')).resource.aws_vpc).toBeDefined();
    const unknown = run('apply', 'stack=network');
    expect(unknown.stderr).toContain('run-target: expected an executor first, got "apply".\nUsage: node run-target.js <validate | synth | render | summary> [option=value ...]');
    expect(unknown.status).toBe(2);
    expect(run('synth', 'network').stderr).toContain('expected option=value, got "network".');
  });

  it("loads one effect's code when its task runs, and an AWS SDK client only when the effect calls it", () => {
    const script = `
      require('@pushbutton/nx-plugin/src/executors/effect/executor.js');
      const { unitCode } = require('@pushbutton/nx-plugin/src/steps/kinds.js');
      const { UNITS } = require('@pushbutton/nx-plugin/src/steps/registry.js');
      const effects = UNITS.filter(({ unit }) => unit.kind === 'effect').map(({ step, unit }) => '/steps/' + step.name + '/' + unit.name + '.js');
      const loaded = () => Object.keys(require.cache).filter((f) => f.includes('/@aws-sdk/client-') || effects.some((e) => f.endsWith(e)));
      const withExecutor = loaded();
      unitCode('effect', 'core-deploy');
      console.log(JSON.stringify({ effects, withExecutor, withUnit: loaded() }));`;
    const { effects, withExecutor, withUnit }: Record<string, string[]> = JSON.parse(runBuilt(script));
    expect(effects.length, 'the effects there are').toBeGreaterThan(1);
    expect(withExecutor, 'the effect executor alone').toEqual([]);
    // core-deploy's own module; the Greengrass client it calls loads when it calls it.
    expect(withUnit.map((file) => file.replace(/^.*\/steps\//, ''))).toEqual(['core/core-deploy.js']);
  });

  it('reads config a second time from its memo, without loading the YAML parser or the schema validators', () => {
    cpSync(join(WORKSPACE, 'config'), join(root, 'again'), { recursive: true });
    const script = `
      const { loadConfig } = require('@pushbutton/nx-plugin/src/config/load-config.js');
      const settings = loadConfig(process.cwd(), 'again');
      const parsing = Object.keys(require.cache).filter((f) => /node_modules\\/yaml\\/|schemas\\/validators\\.js$/.test(f));
      console.log(JSON.stringify({ settings, parsing: parsing.length }));`;
    const first = JSON.parse(runBuilt(script));
    const second = JSON.parse(runBuilt(script));
    expect(first.parsing, 'the first task parses').toBeGreaterThan(1);
    expect(second.parsing, 'the second task').toBe(0);
    expect(second.settings).toEqual(first.settings);
  });

  it('checks config with the validators compiled at build time: the same settings and errors, no compiling', () => {
    for (const dir of ['good', 'bad']) cpSync(join(WORKSPACE, 'config'), join(root, dir), { recursive: true });
    for (const [file, from, to] of [
      ['workflows.yaml', /^    timeoutMinutes: 240$/m, '    timeoutMinutes: 0'],
      ['core.yaml', 'topic: lab/sensors/lab-sensor', 'topic: lab/sensors/#'],
      ['network.yaml', 'ingress: {}', 'ingres: {}'],
    ] as const) {
      const path = join(root, 'bad', file);
      writeFileSync(path, readFileSync(path, 'utf8').replace(from, to));
    }
    const built = JSON.parse(runBuilt(LOAD_CONFIG));
    expect(built.compiler).toEqual([]);
    expect(built.good).toEqual(outcome('good'));
    expect(built.bad).toEqual(outcome('bad'));
    expect(built.bad.error).toContain('bad/workflows.yaml:55:21 workflows.read_filtering.timeoutMinutes: expected a number >= 1; found 0');
    expect(built.bad.error).toContain('(did you mean "ingress"?)');
  });
});
