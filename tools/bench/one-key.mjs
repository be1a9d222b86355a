// 6. One-key change: in the warm copy, change one key (the subnet CIDR; one line of a device
// template), commit, rehearse, and compare the tasks that executed with the minimal set.
// Every run changes the key to a value not seen before, so each run is the same experiment.
import { interleave, median, met, REHEARSE, RESULT_HEADER, spread, table } from './lib.mjs';

export const title = '6. One-key change';

const README = 'templates/core/device/README.md.ejs';
const CHANGES = [
  {
    what: 'Subnet CIDR in `config/network.yaml`',
    // The rehearsal's facts do not change (mock ids follow the address), so nothing downstream runs.
    minimal: ['infra:validate', 'infra:network-synth', 'infra:network-apply:rehearse'],
    edit: (ws, round) =>
      ws.edit('config/network.yaml', (text) => text.replace(/(\n {2}cidr: \d+\.\d+\.)\d+(\.0\/24)/, `$1${100 + round}$2`)),
  },
  {
    what: `One line of \`${README}\``,
    // The bundle changes, its path (core-deliver's facts) does not: the step and provision summaries stay cached.
    minimal: ['infra:core-render:rehearse', 'infra:core-deliver:rehearse'],
    edit: (ws, round) =>
      ws.edit(README, (text) => {
        const lines = text.split('\n');
        // The last line of plain text (no EJS tag): the same line every run.
        const index = lines.findLastIndex((line) => line.trim() && !/<%|%>/.test(line));
        lines[index] = `${lines[index].replace(/ \(bench edit \d+\)$/, '')} (bench edit ${round})`;
        return lines.join('\n');
      }),
  },
];

const short = (id) => id.replace(/^infra:/, '').replace(/:rehearse$/, '');

export async function run(bench) {
  const ws = await bench.rehearsedWorkspace();
  const n = bench.runs;
  const outcomes = CHANGES.map(() => ({ times: [], executed: [] }));
  await interleave(
    n,
    CHANGES.map((_, runIndex) => async (round) => {
      const { edit, what } = CHANGES[runIndex];
      edit(ws, round);
      ws.commit(`bench: ${what}, run ${round + 1}`);
      const result = await bench.nx(ws, REHEARSE, { name: `one-key-${runIndex}` });
      const executed = result.tasks.filter((t) => t.executed).map((t) => t.id).sort();
      outcomes[runIndex].times.push(result.wallMs);
      outcomes[runIndex].executed.push(executed);
      bench.log(`one-key ${round + 1}/${n}, ${what}: executed ${executed.map(short).join(', ') || 'nothing'}`);
    }),
  );

  const rows = CHANGES.flatMap((change, i) => {
    const { times, executed } = outcomes[i];
    const minimal = [...change.minimal].sort();
    const runsEqual = executed.filter((tasks) => tasks.join() === minimal.join()).length;
    const extra = [...new Set(executed.flat())].filter((id) => !minimal.includes(id));
    const missing = minimal.filter((id) => executed.some((tasks) => !tasks.includes(id)));
    const seen = [
      `${runsEqual} of ${n} runs executed exactly the minimal set`,
      ...(extra.length ? [`also executed: ${extra.map(short).join(', ')}`] : []),
      ...(missing.length ? [`did not execute: ${missing.map(short).join(', ')}`] : []),
    ].join('; ');
    const counts = median(executed.map((tasks) => tasks.length));
    return [
      [`${change.what}: the rehearsal after it`, spread(times), n, '', '', ''],
      [`tasks executed: ${seen}`, `${counts} tasks`, n, `${counts}/${minimal.length}`, `= {${change.minimal.map(short).join(', ')}}`, met(runsEqual === n)],
    ];
  });
  return [
    `### ${title}`,
    '',
    `_Measured ${bench.info.date}; ${n} runs of each change in the warm copy, interleaved, each to a value not used before; ` +
      'the minimal set is stated by the bench (tools/bench/one-key.mjs), not derived from the run._',
    '',
    table(RESULT_HEADER, rows),
  ].join('\n');
}
