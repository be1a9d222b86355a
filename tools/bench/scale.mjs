// 5. Scale: studies of 100, 1,000 and 10,000 cases through config loading, expansion, rendering
// and the rehearsal's launch plan, each size in a fresh process (tools/bench/probes/scale.ts).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { interleave, measure, median, megabytes, met, millis, probeResult, RESULT_HEADER, seconds, spread, table, TRANSPILER, transpilerEnv } from './lib.mjs';

export const title = '5. Scale';
const SIZES = [100, 1000, 10000];
const TARGET_MS = 10_000;
/** Time per case at the largest size against the size before it: at most this for "linear". */
const LINEAR = 1.5;
/** The slowest size runs at most this many times. */
const LARGE_RUNS = 3;

const perCaseUs = (ms, cases) => `${Math.round((ms * 1000) / cases)} µs`;

export async function run(bench) {
  const ws = bench.workspace();
  const env = bench.env(ws, transpilerEnv(ws.root));
  const sizes = bench.sizes ?? SIZES;
  const runsOf = (size) => (size >= 10_000 ? Math.min(bench.runs, LARGE_RUNS) : bench.runs);
  const results = new Map(sizes.map((size) => [size, []]));

  const measureSize = (size) => async (round) => {
    if (round >= runsOf(size)) return;
    const dir = join(bench.tmp, `scale-${size}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const result = await measure(process.execPath, [...TRANSPILER, 'tools/bench/probes/scale.ts', String(size), dir], {
      cwd: ws.root,
      env,
      log: bench.logFile(`scale-${size}`),
    });
    const probe = probeResult(result.output);
    results.get(size).push({ ...probe, wallMs: result.wallMs, maxRssKb: result.maxRssKb });
    const total = probe.phases.slice(1).reduce((sum, p) => sum + p.ms, 0);
    bench.log(`scale ${size} cases, run ${round + 1}: phases ${seconds(total)}, process ${seconds(result.wallMs)}, ${megabytes(result.maxRssKb)}`);
    rmSync(dir, { recursive: true, force: true });
  };
  await interleave(Math.max(...sizes.map(runsOf)), sizes.map(measureSize));
  bench.dispose(ws);

  const phaseNames = results.get(sizes[0])[0].phases.map((p) => p.phase);
  const phaseMs = (size, name) => median(results.get(size).map((r) => r.phases.find((p) => p.phase === name).ms));
  const totals = (size) => results.get(size).map((r) => r.phases.slice(1).reduce((sum, p) => sum + p.ms, 0));
  const floorMs = (size) => median(results.get(size).map((r) => r.writeFloorMs));
  const [smaller, largest] = sizes.slice(-2);
  const growth = median(totals(largest)) / largest / (median(totals(smaller)) / smaller);
  const sizeRows = sizes.map((size) => [
    size.toLocaleString('en'),
    ...phaseNames.map((name) => millis(phaseMs(size, name))),
    spread(totals(size)),
    perCaseUs(median(totals(size)), size),
    millis(floorMs(size)),
    megabytes(median(results.get(size).map((r) => r.maxRssKb))),
    results.get(size)[0].files.toLocaleString('en'),
    runsOf(size),
  ]);
  const growthRows = phaseNames.slice(1).map((name) => [
    `\`${name}\``,
    ...sizes.map((size) => perCaseUs(phaseMs(size, name), size)),
    (phaseMs(largest, name) / largest / (phaseMs(smaller, name) / smaller)).toFixed(2),
  ]);

  return [
    `### ${title}`,
    '',
    `_Measured ${bench.info.date}; a fresh process per size and run, sizes interleaved; ${bench.runs} runs (${LARGE_RUNS} at 10,000). ` +
      'Each size is one study of N/10 × 10 cases replacing the config\'s own; "phases" is everything after the imports._',
    '',
    table(RESULT_HEADER, [
      [`${largest.toLocaleString('en')} cases: all phases, config to launch plan`, spread(totals(largest)), runsOf(largest), '', '< 10 s', met(median(totals(largest)) < TARGET_MS)],
      [
        `${largest.toLocaleString('en')} cases: the disk's floor, the same files written bare (mkdir, writeFile)`,
        spread(results.get(largest).map((r) => r.writeFloorMs)),
        runsOf(largest),
        '',
        '',
        '',
      ],
      [
        `${largest.toLocaleString('en')} cases: all phases less the disk's floor`,
        seconds(median(totals(largest)) - floorMs(largest)),
        '',
        '',
        '< 10 s',
        met(median(totals(largest)) - floorMs(largest) < TARGET_MS),
      ],
      [
        `Linear: time per case at ${largest.toLocaleString('en')} / at ${smaller.toLocaleString('en')}`,
        `${perCaseUs(median(totals(largest)), largest)} / ${perCaseUs(median(totals(smaller)), smaller)}`,
        '',
        growth.toFixed(2),
        `≤ ${LINEAR.toFixed(2)}`,
        met(growth <= LINEAR),
      ],
    ]),
    '',
    'Each size (medians; imports = node, the transpiler and the modules, the same at every size):',
    '',
    table(['cases', ...phaseNames.map((name) => `\`${name}\``), 'phases (min–max)', 'per case', 'disk floor', 'peak RSS', 'files rendered', 'runs'], sizeRows),
    '',
    'How each phase grows: time per case at each size, and its growth from the second-largest size to the largest (1.00 = linear):',
    '',
    table(['phase', ...sizes.map((size) => size.toLocaleString('en')), `growth ${smaller.toLocaleString('en')} → ${largest.toLocaleString('en')}`], growthRows),
  ].join('\n');
}
