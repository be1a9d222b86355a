// 2. Warm re-run (nothing changed), against the floor of Nx itself: after a full rehearsal,
// `nx run infra:provision:rehearse` again (every task a cache hit), against the same workspace
// without the plugin, whose project has the same tasks as trivially cached `echo`s, chained by
// the same dependsOn.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { interleave, median, NX_BIN, ratioRow, REHEARSE, RESULT_HEADER, seconds, sh, spread, table } from './lib.mjs';

export const title = '2. Warm re-run (nothing changed), against the floor of Nx itself';
const TARGET = 1.2;

const dependencyNames = (target) => (target.dependsOn ?? []).map((d) => (typeof d === 'string' ? d : d.target));

/** The targets `provision` runs, as cached `echo` tasks with the same dependsOn and configurations. */
function floorTargets(infra) {
  const targets = {};
  const visit = (name) => {
    if (targets[name]) return;
    const target = infra.targets[name];
    targets[name] = {
      executor: 'nx:run-commands',
      options: { command: `echo ${name}` },
      cache: true,
      dependsOn: target.dependsOn ?? [],
      ...(target.configurations?.rehearse && { configurations: { rehearse: {} } }),
    };
    dependencyNames(target).forEach(visit);
  };
  visit('provision');
  return targets;
}

export async function run(bench) {
  const ws = await bench.rehearsedWorkspace();
  const infra = JSON.parse(sh(process.execPath, [NX_BIN, 'show', 'project', 'infra', '--json'], { cwd: ws.root, env: bench.env(ws) }));
  // Each form against its own floor: the same copy without the plugin, whose project `infra`
  // (config/project.json) has the same targets as trivially cached `echo`s. It keeps all else
  // Nx pays for in that copy (this repository's npm workspaces, the lockfile).
  const floorProject = { name: 'infra', root: 'config', targets: floorTargets(infra) };
  const floor = bench.withoutPlugin(bench.workspace(), floorProject);
  const installed = bench.workspaceWithInstalledPlugin();
  const installedFloor = bench.withoutPlugin(bench.workspaceWithInstalledPlugin(), floorProject);
  const executors = JSON.parse(readFileSync(join(ws.root, 'packages/nx-plugin/executors.json'), 'utf8')).executors;
  const tokened = Object.keys(floorProject.targets).filter((name) => executors[infra.targets[name].executor.split(':')[1]]?.hasher);

  // Warm all up: a first run fills each copy's cache (Pushbutton's own copy was rehearsed already).
  const check = (result, who) => {
    const executed = result.tasks.filter((t) => t.executed).map((t) => t.id);
    if (executed.length) throw new Error(`warm: ${who} executed ${executed.join(', ')}; every task should be a cache hit`);
    return result.tasks.length;
  };
  await bench.nx(floor, REHEARSE, { name: 'warm-floor-first' });
  await bench.nx(installedFloor, REHEARSE, { name: 'warm-floor-first' });
  await bench.nx(installed, REHEARSE, { name: 'warm-installed-first' });
  const arms = {
    installed: { ws: installed, name: 'warm-installed', who: 'Pushbutton as published', times: [] },
    installedFloor: { ws: installedFloor, name: 'warm-installed-floor', who: 'the floor of the published form', times: [] },
    pushbutton: { ws, name: 'warm', who: 'Pushbutton in this repository', times: [] },
    floor: { ws: floor, name: 'warm-floor', who: 'the floor of this repository', times: [] },
  };
  for (const arm of Object.values(arms)) arm.tasks = check(await bench.nx(arm.ws, REHEARSE, { name: arm.name }), arm.who);

  await interleave(
    bench.runs,
    Object.values(arms).map((arm) => async () => {
      const result = await bench.nx(arm.ws, REHEARSE, { name: arm.name });
      check(result, arm.who);
      arm.times.push(result.wallMs);
    }),
  );
  for (const arm of Object.values(arms)) bench.log(`warm: ${arm.who}: ${seconds(median(arm.times))}`);
  for (const copy of [floor, installed, installedFloor]) bench.dispose(copy);

  const n = bench.runs;
  const versus = (arm, floorArm, label) => ratioRow(label, median(arm.times), median(floorArm.times), TARGET);
  return [
    `### ${title}`,
    '',
    `_Measured ${bench.info.date}; ${n} runs each, interleaved, after one unmeasured warm run of each._`,
    '',
    table(RESULT_HEADER, [
      [`Pushbutton as published: \`nx run infra:provision:rehearse\`, warm (${arms.installed.tasks} tasks, all cache hits)`, spread(arms.installed.times), n, '', '', ''],
      [`Floor: the same copy without the plugin, ${arms.installedFloor.tasks} cached \`echo\` tasks, same dependsOn`, spread(arms.installedFloor.times), n, '', '', ''],
      [`Pushbutton in this repository, the same`, spread(arms.pushbutton.times), n, '', '', ''],
      [`Floor: this repository's copy without the plugin, the same \`echo\` tasks`, spread(arms.floor.times), n, '', '', ''],
      versus(arms.installed, arms.installedFloor, '**Pushbutton as published / its floor**'),
      versus(arms.pushbutton, arms.floor, '**Pushbutton in this repository / its floor**'),
    ]),
    '',
    `${tokened.length} of the tasks are keyed on a state token by their executor's custom hasher, in Nx's own process ` +
      'right before each would run (docs/decisions.md); the floor has none.',
  ].join('\n');
}
