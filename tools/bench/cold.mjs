// 1. Cold rehearsal of all steps, against the floor: `nx run infra:provision:rehearse` in a fresh
// copy (empty Nx cache, no .pushbutton/; the provider linked from the local mirror) against the same Terraform
// commands run bare on the same synthesized stacks, two stacks at a time in the same order.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { interleave, measure, median, paths, ratio, ratioRow, REHEARSE, RESULT_HEADER, seconds, spread, STACKS, table } from './lib.mjs';

const { TERRAFORM_GOGC } = createRequire(import.meta.url)('../../packages/nx-plugin/src/terraform/terraform-cli.ts');

export const title = '1. Cold rehearsal of all steps, against the floor';
/** Targets: ≤ 0.6 × the four-command floor a rehearsal once ran, ≤ 1.15 × Terraform's own two-command limit. */
const TARGET_FOUR = 0.6;
const TARGET_TWO = 1.15;
/** What Pushbutton writes into a stack's working directory besides the synthesized Terraform. */
const EXTRA_FILES = ['rehearsal_override.tf.json', 'tests/rehearse.tftest.json', 'facts.auto.tfvars.json'];
const ISOLATED = { NX_ISOLATE_PLUGINS: 'true' };
const FLOOR_SCRIPT = join(import.meta.dirname, 'terraform-floor.sh');

/** Fresh working directories for the floor, with the files of a finished rehearsal. */
function layFloor(rehearsed, dir) {
  // The configuration the rehearsal's stacks shared their init from: one, as they need the same providers.
  const inits = readdirSync(join(rehearsed, paths.rehearsalInitDir()));
  if (inits.length !== 1) throw new Error(`expected the rehearsal to share one init, found ${inits.length}`);
  mkdirSync(join(dir, 'init'), { recursive: true });
  cpSync(join(rehearsed, paths.rehearsalInitDir(inits[0]), 'main.tf.json'), join(dir, 'init', 'main.tf.json'));
  for (const stack of STACKS) {
    const to = join(dir, stack);
    mkdirSync(join(to, 'tests'), { recursive: true });
    cpSync(join(rehearsed, paths.synthesizedFile(stack)), join(to, 'main.tf.json'));
    for (const file of EXTRA_FILES) {
      const from = join(rehearsed, paths.workDir('rehearse', stack), file);
      if (existsSync(from)) cpSync(from, join(to, file));
    }
  }
}

/** Where the time of one Pushbutton run went, from run.json. */
function phases(run) {
  const applies = run.tasks.filter((t) => /-apply/.test(t.id));
  const firstApply = Math.min(...applies.map((t) => t.startMs));
  const lastApply = Math.max(...applies.map((t) => t.endMs));
  return {
    'Nx start-up, until the first task starts': Math.min(...run.tasks.map((t) => t.startMs)) - run.startedAt,
    'start to the first `-apply` (validate, synths)': firstApply - run.startedAt,
    'first `-apply` start to last `-apply` end': lastApply - firstApply,
    'last `-apply` end to exit (effects, renders, deliver, provision)': run.endedAt - lastApply,
  };
}

export async function run(bench) {
  const rehearsed = await bench.rehearsedWorkspace();
  const env = bench.env(rehearsed);
  // `shared-gogc`: Terraform as a rehearsal runs it now (one shared init, GOGC), to show Pushbutton's own part apart.
  const floors = { four: [], two: [], 'shared-gogc': [] };
  const runs = [];
  const publishedRuns = [];
  // Diagnostic: as published with Nx's default plugin isolation, which the workspace's .env turns off.
  const isolatedRuns = [];
  const floorTimes = [];
  const rehearse = async (round, ws, label, into, env = {}) => {
    const result = await bench.nx(ws, REHEARSE, { name: 'cold-rehearsal', env });
    const missed = result.tasks.filter((t) => !t.executed).map((t) => t.id);
    if (missed.length) bench.log(`cold: WARNING: tasks not executed in a cold run: ${missed.join(', ')}`);
    into.push(result);
    bench.log(`cold ${round + 1}/${bench.coldRuns}: ${label} ${seconds(result.wallMs)} (${result.tasks.length} tasks)`);
    bench.dispose(ws);
  };

  /** One run of the floor script; gives back each stack's command times. */
  const runFloor = async (round, floor) => {
    const dir = join(bench.tmp, `floor-${floor}-${round}`);
    layFloor(rehearsed.root, dir);
    const [commands, gogc] = floor === 'shared-gogc' ? ['shared', TERRAFORM_GOGC] : [floor, undefined];
    const floorEnv = gogc ? { ...env, GOGC: gogc } : env;
    const result = await measure('bash', [FLOOR_SCRIPT, dir, commands], { cwd: dir, env: floorEnv, log: bench.logFile(`cold-floor-${floor}`) });
    floors[floor].push(result.wallMs);
    const times = {};
    for (const [, stack, command, secs] of result.output.matchAll(/^timing (\S+) (\S+) (\S+)$/gm)) {
      times[stack] = { ...times[stack], [command]: Number(secs) * 1000 };
    }
    bench.log(`cold ${round + 1}/${bench.coldRuns}: floor (${floor}) ${seconds(result.wallMs)}`);
    rmSync(dir, { recursive: true, force: true });
    return times;
  };

  await interleave(bench.coldRuns, [
    (round) => rehearse(round, bench.workspaceWithInstalledPlugin(), 'Pushbutton as published', publishedRuns),
    (round) => rehearse(round, bench.workspace(), 'Pushbutton in this repository', runs),
    (round) => rehearse(round, bench.workspaceWithInstalledPlugin(), 'Pushbutton as published, NX_ISOLATE_PLUGINS=true', isolatedRuns, ISOLATED),
    (round) => runFloor(round, 'four'),
    (round) => runFloor(round, 'two'),
    async (round) => floorTimes.push(await runFloor(round, 'shared-gogc')),
  ]);

  const n = bench.coldRuns;
  const wall = (of) => of.map((result) => result.wallMs);
  const [published, pushbutton, isolated] = [wall(publishedRuns), wall(runs), wall(isolatedRuns)];
  const versus = (label, times, commands, target) => ratioRow(label, median(times), median(floors[commands]), target);
  const results = table(RESULT_HEADER, [
    ['Pushbutton as published (packages built to JavaScript, installed): `nx run infra:provision:rehearse`, cold', spread(published), n, '', '', ''],
    ['Pushbutton in this repository (TypeScript from source), the same', spread(pushbutton), n, '', '', ''],
    ['Floor: `terraform init, validate, plan, test` bare, same stacks, 2 at a time (what a rehearsal once ran)', spread(floors.four), n, '', '', ''],
    ["Floor: `terraform init, test` bare, same stacks, 2 at a time (Terraform's own limit)", spread(floors.two), n, '', '', ''],
    [
      `Diagnostic: Terraform as a rehearsal runs it, bare: one \`init\` the stacks share, then per stack the provider in debug mode and \`test\` attached to it, 2 at a time, at \`GOGC=${TERRAFORM_GOGC}\``,
      spread(floors['shared-gogc']),
      n,
      '',
      '',
      '',
    ],
    versus('**Pushbutton as published / four-command floor**', published, 'four', TARGET_FOUR),
    versus('**Pushbutton as published / two-command floor**', published, 'two', TARGET_TWO),
    versus('Pushbutton in this repository / two-command floor', pushbutton, 'two', TARGET_TWO),
    ['Diagnostic: Pushbutton as published / Terraform as a rehearsal runs it', '', '', ratio(median(published), median(floors['shared-gogc'])), '', ''],
    ["Diagnostic: Pushbutton as published with `NX_ISOLATE_PLUGINS=true` (Nx's default: a worker process per plugin; the workspace's `.env` turns it off)", spread(isolated), n, '', '', ''],
    ['Diagnostic: the same / two-command floor', '', '', ratio(median(isolated), median(floors.two)), '', ''],
  ]);

  // Where the time goes: phases of the Pushbutton runs, each task, and each stack's Terraform.
  const phaseNames = Object.keys(phases(runs[0]));
  const phaseMs = (of, name) => seconds(median(of.map((run) => phases(run)[name])));
  const phaseRows = phaseNames.map((name) => [name, phaseMs(publishedRuns, name), phaseMs(runs, name)]);
  const taskIds = runs[0].tasks.map((t) => t.id);
  const taskMsOf = (of, id) => median(of.map((run) => run.tasks.find((t) => t.id === id)).filter(Boolean).map((t) => t.endMs - t.startMs));
  const taskRows = taskIds.map((id) => [`\`${id}\``, seconds(taskMsOf(publishedRuns, id)), seconds(taskMsOf(runs, id))]);
  const sharedInitMs = median(floorTimes.map((times) => times.init?.init ?? 0));
  const stackRows = STACKS.map((stack) => {
    const [providerMs, testMs] = ['provider', 'test'].map((step) => median(floorTimes.map((times) => times[stack]?.[step] ?? 0)));
    const applyMs = taskMsOf(publishedRuns, `infra:${stack}-apply:rehearse`);
    return [stack, `${seconds(providerMs)} / ${seconds(testMs)}`, seconds(applyMs), seconds(applyMs - providerMs - testMs)];
  });

  return [
    `### ${title}`,
    '',
    `_Measured ${bench.info.date}; ${n} runs each, interleaved; fresh copy, empty Nx cache; Terraform links the provider from the local mirror._`,
    '',
    results,
    '',
    'Where the Pushbutton run spends its time (median over the runs, from `run.json` task times):',
    '',
    table(['phase', 'as published', 'this repository'], phaseRows),
    '',
    table(['task', 'as published', 'this repository'], taskRows),
    '',
    `Each stack as a rehearsal runs its Terraform, bare (at \`GOGC=${TERRAFORM_GOGC}\`): the provider started in debug mode, then \`terraform test\` attached to it, against Pushbutton's \`-apply\` task for it (medians). The shared \`init\` took ${seconds(sharedInitMs)}; in a rehearsal, the first two applies wait for it.`,
    '',
    table(['stack', 'provider start / `test`, bare', '`-apply` task (as published)', 'task − bare'], stackRows),
  ].join('\n');
}
