// 2. Warm re-run (nothing changed), against the floor of Nx itself: after a full rehearsal,
// `nx run infra:provision:rehearse` again (every task a cache hit), against the same workspace
// without the plugin, whose project has the same tasks as trivially cached `echo`s, chained by
// the same dependsOn.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { interleave, measure, median, met, millis, NX_BIN, ratio, REHEARSE, RESULT_HEADER, seconds, sh, spread, table } from './lib.mjs';

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

/**
 * The same workspace without Pushbutton: a fresh copy with `"plugins": []` in nx.json and the
 * project `infra` written out in config/project.json, its targets trivially cached `echo`s. It
 * keeps all else Nx pays for here (the npm workspaces' projects, the lockfile), so the ratio is
 * what Pushbutton adds.
 */
function floorWorkspace(bench, infra) {
  const ws = bench.workspace();
  const nxJson = join(ws.root, 'nx.json');
  writeFileSync(nxJson, JSON.stringify({ ...JSON.parse(readFileSync(nxJson, 'utf8')), plugins: [] }, null, 2) + '\n');
  writeFileSync(join(ws.root, 'config/project.json'), JSON.stringify({ name: 'infra', root: 'config', targets: floorTargets(infra) }, null, 2) + '\n');
  ws.commit('the floor: no plugin, static echo targets');
  return ws;
}

export async function run(bench) {
  const ws = await bench.rehearsedWorkspace();
  const infra = JSON.parse(sh(process.execPath, [NX_BIN, 'show', 'project', 'infra', '--json'], { cwd: ws.root, env: bench.env(ws) }));
  const floor = floorWorkspace(bench, infra);
  const runtimeInputs = Object.keys(floorTargets(infra)).flatMap((name) => (infra.targets[name].inputs ?? []).filter((input) => input.runtime).map((input) => input.runtime));

  // Warm both up: the floor's first run fills its cache; Pushbutton's copy was rehearsed already.
  const check = (result, who) => {
    const executed = result.tasks.filter((t) => t.executed).map((t) => t.id);
    if (executed.length) throw new Error(`warm: ${who} executed ${executed.join(', ')}; every task should be a cache hit`);
    return result.tasks.length;
  };
  await bench.nx(floor, REHEARSE, { name: 'warm-floor-first' });
  check(await bench.nx(floor, REHEARSE, { name: 'warm-floor' }), 'the floor');
  check(await bench.nx(ws, REHEARSE, { name: 'warm' }), 'Pushbutton');

  const pushbutton = [];
  const bare = [];
  const fingerprint = [];
  let taskCount = 0;
  let floorTaskCount = 0;
  await interleave(bench.runs, [
    async () => {
      const result = await bench.nx(ws, REHEARSE, { name: 'warm' });
      taskCount = check(result, 'Pushbutton');
      pushbutton.push(result.wallMs);
    },
    async () => {
      const result = await bench.nx(floor, REHEARSE, { name: 'warm-floor' });
      floorTaskCount = check(result, 'the floor');
      bare.push(result.wallMs);
    },
    async () => {
      // One of the runtime inputs Nx runs to hash the tasks (diagnostic, not compared).
      const [, script, unit] = /^node "([^"]+)" (\S+)$/.exec(runtimeInputs[0]);
      const result = await measure(process.execPath, [script, unit], { cwd: ws.root, env: bench.env(ws), log: bench.logFile('fingerprint') });
      fingerprint.push(result.wallMs);
    },
  ]);
  bench.log(`warm: Pushbutton ${seconds(median(pushbutton))}, floor ${seconds(median(bare))} (${taskCount} and ${floorTaskCount} tasks)`);

  const r = median(pushbutton) / median(bare);
  const n = bench.runs;
  return [
    `### ${title}`,
    '',
    `_Measured ${bench.info.date}; ${n} runs each, interleaved, after one unmeasured warm run of each._`,
    '',
    table(RESULT_HEADER, [
      [`Pushbutton: \`nx run infra:provision:rehearse\`, warm (${taskCount} tasks, all cache hits)`, spread(pushbutton), n, '', '', ''],
      [`Floor: the same workspace without the plugin, ${floorTaskCount} cached \`echo\` tasks, same dependsOn`, spread(bare), n, '', '', ''],
      ['Pushbutton / floor', '', '', ratio(median(pushbutton), median(bare)), `≤ ${TARGET.toFixed(2)}`, met(r <= TARGET)],
    ]),
    '',
    `Diagnostic: ${runtimeInputs.length} of the tasks have a runtime input (the state fingerprint), which Nx runs to hash them ` +
      `on every run, hit or not; one call (\`${runtimeInputs[0]}\`) takes ${spread(fingerprint, millis)}; ` +
      `${runtimeInputs.length} of them, ${millis(runtimeInputs.length * median(fingerprint))} if run one after another.`,
  ].join('\n');
}
