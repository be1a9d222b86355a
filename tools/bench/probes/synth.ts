// Synthesizes one stack as the synth executor does (loadConfig, then synthesize from
// @pushbutton/stacks), and prints the time and memory at the end of each phase as a `BENCH {json}`
// line. Run in a workspace copy: node -r @swc-node/register tools/bench/probes/synth.ts <stack>
import { join } from 'node:path';

const mark = (phase: string) => ({
  phase,
  ms: performance.now(), // since the process started
  rssKb: Math.round(process.memoryUsage().rss / 1024),
  maxRssKb: process.resourceUsage().maxRSS,
});

const stack = process.argv[2];
const marks = [mark('node and transpiler start')];
// require, not import: imports are hoisted above the first mark.
const { synthesize } = require('@pushbutton/stacks');
const { loadConfig } = require('@pushbutton/nx-plugin/src/config/load-config');
const { paths } = require('@pushbutton/nx-plugin/src/paths');
marks.push(mark('imports'));
const config = loadConfig(process.cwd(), 'config');
marks.push(mark('loadConfig'));
synthesize(stack, config, join(process.cwd(), paths.synthDir(stack)));
marks.push(mark('synthesize'));
console.log(`BENCH ${JSON.stringify(marks)}`);
