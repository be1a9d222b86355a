// 4. Synth of each stack: the synth task's process (`synthesize()` with `loadConfig()`, under the
// transpiler Nx loads executors with in this repository, and without it as published), the whole
// `nx run infra:<stack>-synth` both ways, and `cdktf synth` (the cdktf CLI, from a temporary
// install) of an app that builds the same stack.
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { interleave, measure, median, megabytes, met, millis, paths, probeResult, ratio, REPO, RESULT_HEADER, sh, spread, STACKS, table, TRANSPILER, transpilerEnv } from './lib.mjs';

export const title = '4. Synth of each stack';
const TARGET_KB = 150 * 1024;
const CDKTF_VERSION = JSON.parse(readFileSync(join(REPO, 'node_modules/cdktf/package.json'), 'utf8')).version;
const CDKTF_PREFIX = process.env.PUSHBUTTON_BENCH_CDKTF_PREFIX ?? '/tmp/pushbutton-bench-cdktf';

/** The cdktf CLI, installed into a folder outside the repo on first use. */
function cdktfCli(bench) {
  const bin = join(CDKTF_PREFIX, 'node_modules/cdktf-cli/bundle/bin/cdktf');
  if (!existsSync(bin)) {
    bench.log(`synth: installing cdktf-cli@${CDKTF_VERSION} into ${CDKTF_PREFIX} (outside the repo)`);
    sh('npm', ['install', '--prefix', CDKTF_PREFIX, `cdktf-cli@${CDKTF_VERSION}`, '--no-audit', '--no-fund'], { stdio: 'ignore' });
  }
  return bin;
}

/** A cdktf project whose app builds the stack with Pushbutton's code, through the same transpiler. */
function cdktfProject(bench, ws) {
  const dir = join(bench.tmp, 'cdktf-app');
  mkdirSync(dir, { recursive: true });
  symlinkSync(join(ws.root, 'node_modules'), join(dir, 'node_modules'));
  const app = `node ${TRANSPILER.join(' ')} ${join(ws.root, 'tools/bench/probes/cdktf-app.ts')}`;
  writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ language: 'typescript', app, terraformProviders: [], terraformModules: [], context: {} }, null, 2));
  return dir;
}

export async function run(bench) {
  const ws = bench.workspace();
  const installed = bench.workspaceWithInstalledPlugin();
  const cli = cdktfCli(bench);
  const project = cdktfProject(bench, ws);
  const probeEnv = bench.env(ws, transpilerEnv(ws.root));
  const cliEnv = { ...probeEnv, CHECKPOINT_DISABLE: '1', CI: '1' };
  const n = bench.runs;
  const rows = [];
  const memoryRows = [];
  const phaseRows = [];

  for (const stack of STACKS) {
    const times = { probe: [], installed: [], nx: [], nxInstalled: [], cli: [] };
    const rss = { probe: [], installed: [], cli: [] };
    const env = { ...cliEnv, BENCH_WORKSPACE: ws.root, BENCH_STACK: stack };
    // The synth task's work in its own process: in this repository through the transpiler, as published without.
    const probes = {
      probe: { node: TRANSPILER, where: ws, env: probeEnv, marks: [] },
      installed: { node: [], where: installed, env: bench.env(installed), marks: [] },
    };
    const runProbe = (arm) =>
      measure(process.execPath, [...arm.node, 'tools/bench/probes/synth.js', stack], { cwd: arm.where.root, env: arm.env, log: bench.logFile(`synth-${stack}`) });
    const measureProbe = (name) => async () => {
      const result = await runProbe(probes[name]);
      times[name].push(result.wallMs);
      rss[name].push(result.maxRssKb);
      probes[name].marks.push(probeResult(result.output));
    };
    const nxSynth = (where, name) => bench.nx(where, ['run', `infra:${stack}-synth`, '--skip-nx-cache', '--excludeTaskDependencies'], { name });
    const cdktf = (sampleTree = false) => measure(cli, ['synth'], { cwd: project, env, log: bench.logFile(`cdktf-synth-${stack}`), sampleTree });
    // Warm-up (file cache, the transpiler's cache), and the check that both make the same Terraform.
    for (const arm of Object.values(probes)) await runProbe(arm);
    await cdktf();
    const ours = readFileSync(join(ws.root, paths.synthesizedFile(stack)), 'utf8');
    const theirs = readFileSync(join(project, `cdktf.out/stacks/${stack}/cdk.tf.json`), 'utf8');
    const same = ours === theirs ? 'yes' : '**no**';

    await interleave(n, [
      measureProbe('probe'),
      measureProbe('installed'),
      async () => times.nx.push((await nxSynth(ws, `nx-synth-${stack}`)).wallMs),
      async () => times.nxInstalled.push((await nxSynth(installed, `nx-synth-installed-${stack}`)).wallMs),
      async () => {
        const result = await cdktf();
        times.cli.push(result.wallMs);
        rss.cli.push(result.maxRssKb);
      },
    ]);
    // The CLI's whole process tree, sampled (separately: sampling costs CPU).
    const tree = await cdktf(true);
    rmSync(join(project, 'cdktf.out'), { recursive: true, force: true });
    bench.log(`synth ${stack}: task ${millis(median(times.probe))} (published ${millis(median(times.installed))}), nx run ${millis(median(times.nx))} (published ${millis(median(times.nxInstalled))}), cdktf synth ${millis(median(times.cli))}`);

    const cliMs = median(times.cli);
    const vsCli = (values) => [ratio(median(values), cliMs), '< 1.00 (faster than the CLI)', met(median(values) < cliMs)];
    rows.push(
      [`${stack}: the synth task's process (\`synthesize()\` + \`loadConfig()\`), as published (no transpiler)`, spread(times.installed, millis), n, ...vsCli(times.installed)],
      [`${stack}: the same, in this repository (TypeScript through the transpiler)`, spread(times.probe, millis), n, ...vsCli(times.probe)],
      [`${stack}: \`nx run infra:${stack}-synth --skip-nx-cache\`, as published`, spread(times.nxInstalled, millis), n, ...vsCli(times.nxInstalled)],
      [`${stack}: the same, in this repository`, spread(times.nx, millis), n, ...vsCli(times.nx)],
      [`${stack}: \`cdktf synth\` (CLI ${CDKTF_VERSION}, same app; same JSON: ${same})`, spread(times.cli, millis), n, '', '', ''],
    );
    memoryRows.push([
      stack,
      spread(rss.installed, megabytes),
      '< 150 MB',
      met(median(rss.installed) < TARGET_KB),
      spread(rss.probe, megabytes),
      spread(rss.cli, megabytes),
      tree.treeRssKb ? megabytes(tree.treeRssKb) : 'n/a',
    ]);
    const phaseRow = (label, of) => {
      const phase = (i) => median(of.map((m) => m[i].ms - (i ? m[i - 1].ms : 0)));
      const rssAt = (i) => median(of.map((m) => m[i].rssKb));
      return [label, ...of[0].map((_, i) => `${millis(phase(i))}, ${megabytes(rssAt(i))}`), megabytes(median(of.map((m) => m.at(-1).maxRssKb)))];
    };
    phaseRows.push(phaseRow(`${stack}, as published`, probes.installed.marks), phaseRow(`${stack}, this repository`, probes.probe.marks));
  }
  bench.dispose(ws);
  bench.dispose(installed);

  return [
    `### ${title}`,
    '',
    `_Measured ${bench.info.date}; ${n} runs of each, interleaved, after one warm-up of each; ratio = median / median of \`cdktf synth\`. "As published": the packages built by \`tools/build-packages.mjs\` (JavaScript) and installed in node_modules, as a user gets them; "this repository": TypeScript from source, as here._`,
    '',
    table(RESULT_HEADER, rows),
    '',
    'Peak memory (median of the same runs; the CLI\'s whole tree from one extra run, sampled every 50 ms):',
    '',
    table(['stack', 'synth task process as published, peak RSS', 'target', 'met?', 'the same in this repository (transpiler)', '`cdktf synth`, largest process', '`cdktf synth`, all processes'], memoryRows),
    '',
    'The synth task\'s process by phase (median time of the phase, and RSS at its end):',
    '',
    table(['stack', 'node (+ transpiler) start', 'imports (cdktf, the stacks\' shared code, the config loader)', '`loadConfig()` (from the memo an earlier task left)', '`synthesize()` (with the stack\'s own code)', 'peak RSS'], phaseRows),
  ].join('\n');
}
