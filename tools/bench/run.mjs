// The benchmark suite: `npm run bench` runs every benchmark and rewrites the results section of
// docs/performance.md. `npm run bench -- scale synth` runs some; other benchmarks keep their results.
//   --runs N        runs of each measurement (default 5)
//   --cold-runs N   runs of the cold rehearsal (default 3)
//   --graph-runs N  runs of `nx show projects` (default 2 × --runs)
//   --sizes A,B,C   case counts of the scale study (default 100,1000,10000)
//   --keep          keep the temporary folder (copies, logs)
//   --no-doc        print the results, leave docs/performance.md alone
import { parseArgs } from 'node:util';
import * as cold from './cold.mjs';
import * as graph from './graph.mjs';
import { Bench, machine, writeResults } from './lib.mjs';
import * as oneKey from './one-key.mjs';
import * as scale from './scale.mjs';
import * as synth from './synth.mjs';
import * as warm from './warm.mjs';

/** In the order they run: the one-key change edits the shared rehearsed copy, so it runs last. */
const BENCHMARKS = { cold, warm, graph, synth, scale, 'one-key': oneKey };

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '5' },
    'cold-runs': { type: 'string', default: '3' },
    'graph-runs': { type: 'string' },
    sizes: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'no-doc': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const count = (name, value) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number of at least 1, not ${value}`);
  return n;
};

if (values.help) {
  console.log(`usage: npm run bench -- [${Object.keys(BENCHMARKS).join(' ')}] [--runs N] [--cold-runs N] [--graph-runs N] [--sizes 100,1000,10000] [--keep] [--no-doc]`);
  process.exit(0);
}
const unknown = positionals.filter((name) => !BENCHMARKS[name]);
if (unknown.length) {
  console.error(`Unknown benchmark ${unknown.join(', ')}; the benchmarks are ${Object.keys(BENCHMARKS).join(', ')}.`);
  process.exit(2);
}
const selected = positionals.length ? Object.keys(BENCHMARKS).filter((name) => positionals.includes(name)) : Object.keys(BENCHMARKS);

const bench = new Bench({ runs: count('runs', values.runs), coldRuns: count('cold-runs', values['cold-runs']), keep: values.keep });
bench.graphRuns = values['graph-runs'] ? count('graph-runs', values['graph-runs']) : 2 * bench.runs;
if (values.sizes) bench.sizes = values.sizes.split(',').map((size) => count('sizes', size));
bench.info = machine();
bench.log(`benchmarks: ${selected.join(', ')}; ${bench.runs} runs (cold: ${bench.coldRuns}); temp folder ${bench.tmp}`);

const blocks = {};
let failed = false;
try {
  for (const name of selected) {
    const started = Date.now();
    bench.log(`${name}: ${BENCHMARKS[name].title}`);
    try {
      blocks[name] = await BENCHMARKS[name].run(bench);
    } catch (error) {
      failed = true;
      bench.log(`${name} FAILED: ${error.stack ?? error}`);
      blocks[name] = `### ${BENCHMARKS[name].title}\n\n_Failed on ${bench.info.date}:_\n\n\`\`\`text\n${String(error.message ?? error).slice(0, 2000)}\n\`\`\``;
    }
    bench.log(`${name}: done in ${Math.round((Date.now() - started) / 1000)} s\n\n${blocks[name]}\n`);
  }
} finally {
  bench.cleanup();
}

if (!values['no-doc']) {
  writeResults(Object.keys(BENCHMARKS), blocks, bench.info);
  bench.log('wrote docs/performance.md');
}
process.exitCode = failed ? 1 : 0;
