// 3. Project-graph overhead: `nx show projects` with the plugin registered against the same
// copy without Pushbutton in nx.json's `"plugins"` (its other plugins stay), without the Nx daemon (and, as published, with it); with the project graph cache warm, and cleared.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { interleave, median, met, millis, RESULT_HEADER, sh, spread, table } from './lib.mjs';

export const title = '3. Project-graph overhead';
const TARGET_MS = 150;
const SHOW = ['show', 'projects'];
const signed = (ms) => (ms < 0 ? `−${millis(-ms)}` : `+${millis(ms)}`);

/** What the plugin itself costs in one process: loading it and inferring the project (diagnostic). */
const IN_PROCESS = `
const start = process.hrtime.bigint();
const plugin = require(require('node:path').resolve('node_modules/@pushbutton/nx-plugin'));
Promise.resolve(plugin.createNodesV2[1](['config/project.yaml'], undefined, { workspaceRoot: process.cwd(), nxJsonConfiguration: {} }))
  .then(() => console.log(Number(process.hrtime.bigint() - start) / 1e6));
`;

export async function run(bench) {
  const runs = bench.graphRuns;
  const withPlugin = bench.workspace();
  const without = bench.withoutPlugin(bench.workspace());
  const installed = bench.workspaceWithInstalledPlugin();
  const installedWithout = bench.withoutPlugin(bench.workspaceWithInstalledPlugin());

  const show = (ws, { cleared, env = {} }) => {
    if (cleared) rmSync(join(ws.root, '.nx/workspace-data'), { recursive: true, force: true });
    return bench.nx(ws, SHOW, { name: 'show-projects', env });
  };
  // Nx's default, which the workspace's .env turns off: a worker process per plugin.
  const isolated = { NX_ISOLATE_PLUGINS: 'true' };
  // Nx's default outside CI: the daemon keeps the graph and the plugin workers between commands.
  const daemon = { NX_DAEMON: 'true' };
  const arms = {
    plugin: { ws: withPlugin, label: 'this repository: plugin registered (a workspace package)' },
    none: { ws: without, label: 'this repository: without Pushbutton in `"plugins"`' },
    installed: { ws: installed, label: 'as published: plugin registered' },
    installedNone: { ws: installedWithout, label: 'as published: without Pushbutton in `"plugins"`' },
    installedDaemon: { ws: installed, env: daemon, label: 'as published: plugin registered, with the Nx daemon (its default outside CI)', daemon: true },
    installedNoneDaemon: { ws: installedWithout, env: daemon, label: 'as published: without Pushbutton in `"plugins"`, with the Nx daemon', daemon: true },
    installedIsolated: { ws: installed, env: isolated, label: 'Diagnostic: as published, plugin registered, `NX_ISOLATE_PLUGINS=true`', diagnostic: true },
    installedNoneIsolated: { ws: installedWithout, env: isolated, label: 'Diagnostic: as published, without Pushbutton in `"plugins"`, `NX_ISOLATE_PLUGINS=true`', diagnostic: true },
    pluginIsolated: { ws: withPlugin, env: isolated, label: 'Diagnostic: this repository, plugin registered, `NX_ISOLATE_PLUGINS=true`', diagnostic: true },
    noneIsolated: { ws: without, env: isolated, label: 'Diagnostic: this repository, without Pushbutton in `"plugins"`, `NX_ISOLATE_PLUGINS=true`', diagnostic: true },
  };
  for (const arm of Object.values(arms)) {
    const projects = (await show(arm.ws, { cleared: false, env: arm.env })).output;
    const expected = arm.ws !== without && arm.ws !== installedWithout;
    if (/^infra$/m.test(projects) !== expected) throw new Error(`graph: ${arm.label}: infra ${expected ? 'missing' : 'listed'}`);
  }

  const rows = [];
  for (const cleared of [false, true]) {
    const cache = cleared ? 'cleared' : 'warm';
    // Clearing .nx/workspace-data pulls the daemon's files from under it: the daemon is measured warm only.
    if (cleared) for (const ws of [installed, installedWithout]) await bench.nx(ws, ['daemon', '--stop'], { name: 'daemon-stop', env: daemon });
    const measured = Object.entries(arms).filter(([, arm]) => !cleared || !(arm.diagnostic || arm.daemon));
    const times = Object.fromEntries(measured.map(([name]) => [name, []]));
    await interleave(
      runs,
      measured.map(([name, arm]) => async () => times[name].push((await show(arm.ws, { cleared, env: arm.env })).wallMs)),
    );
    const diff = median(times.plugin) - median(times.none);
    bench.log(`graph (${cache} cache): plugin ${millis(median(times.plugin))}, none ${millis(median(times.none))}, difference ${millis(diff)}`);
    const row = (name) => [`${arms[name].label}, graph cache ${cache}`, spread(times[name], millis), runs, '', '', ''];
    const overhead = (label, a, b) => [label, signed(median(a) - median(b)), '', (median(a) / median(b)).toFixed(2), '', ''];
    const judged = (label, a, b) => {
      const d = median(times[a]) - median(times[b]);
      return [`**${label}, graph cache ${cache}**`, signed(d), '', (median(times[a]) / median(times[b])).toFixed(2), `< ${TARGET_MS} ms`, met(d < TARGET_MS)];
    };
    rows.push(
      row('installed'),
      row('installedNone'),
      row('plugin'),
      row('none'),
      judged('Overhead of the plugin as published', 'installed', 'installedNone'),
      judged('Overhead of the plugin in this repository', 'plugin', 'none'),
    );
    if (!cleared) {
      rows.push(row('installedDaemon'), row('installedNoneDaemon'), judged('Overhead of the plugin as published, with the Nx daemon', 'installedDaemon', 'installedNoneDaemon'));
      const inProcess = [];
      for (let i = 0; i < runs; i++) inProcess.push(Number(sh(process.execPath, ['-e', IN_PROCESS], { cwd: withPlugin.root }).trim()));
      rows.push(
        row('installedIsolated'),
        row('installedNoneIsolated'),
        overhead('Diagnostic: overhead of the plugin as published, `NX_ISOLATE_PLUGINS=true` on both', times.installedIsolated, times.installedNoneIsolated),
        row('pluginIsolated'),
        row('noneIsolated'),
        overhead('Diagnostic: overhead of the plugin in this repository, `NX_ISOLATE_PLUGINS=true` on both', times.pluginIsolated, times.noneIsolated),
        ['Diagnostic: the plugin alone, in one process: `require` + `createNodesV2`', spread(inProcess, millis), runs, '', '', ''],
      );
    }
  }
  for (const ws of [withPlugin, without, installed, installedWithout]) bench.dispose(ws);

  return [
    `### ${title}`,
    '',
    `_Measured ${bench.info.date}; ${runs} runs of each, interleaved, \`NX_DAEMON=false\` unless a row says otherwise; "cleared" removes \`.nx/workspace-data\` before each run._`,
    '',
    table(RESULT_HEADER, rows),
  ].join('\n');
}
