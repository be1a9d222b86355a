// Synthesizes one stack as the synth executor does (loadConfig, then synthesize from
// @pushbutton/stacks), and prints the time and memory at the end of each phase as a `BENCH {json}`
// line. Plain JavaScript, so it runs both ways Nx loads the executor: in this repository, through
// the transpiler (node -r @swc-node/register tools/bench/probes/synth.js <stack>), and with the
// packages built as published, without it (node tools/bench/probes/synth.js <stack>).
const { join } = require('node:path');

const mark = (phase) => ({
  phase,
  ms: performance.now(), // since the process started
  rssKb: Math.round(process.memoryUsage().rss / 1024),
  maxRssKb: process.resourceUsage().maxRSS,
});

const stack = process.argv[2];
const marks = [mark('node and transpiler start')];
const { synthesize } = require('@pushbutton/stacks');
const { loadConfig } = require('@pushbutton/nx-plugin/src/config/load-config');
const { paths } = require('@pushbutton/nx-plugin/src/paths');
const { unitCode } = require('@pushbutton/nx-plugin/src/steps/kinds');
marks.push(mark('imports'));
const config = loadConfig(process.cwd(), 'config');
marks.push(mark('loadConfig'));
synthesize(unitCode('stack', stack), stack, config, join(process.cwd(), paths.synthDir(stack)));
marks.push(mark('synthesize'));
console.log(`BENCH ${JSON.stringify(marks)}`);
