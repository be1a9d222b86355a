// One size of the scale study, in a fresh process: a config of N cases (one study, N/10 x 10),
// then each phase the workflow step runs for it: loading the config, expanding the cases, the
// render items, rendering them (into <tmp>/render), and the rehearsal's launch plan. Prints the
// time and memory after each phase as a `BENCH {json}` line, and the time the disk alone takes to
// write the rendered files (the floor of the render's writes).
// Run in a workspace copy: node -r @swc-node/register tools/bench/probes/scale.ts <cases> <tmp>
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Runs one phase; records how long it took, the RSS after it, and the peak RSS so far. */
const phases: { phase: string; ms: number; rssKb: number; maxRssKb: number }[] = [];
function phase<T>(name: string, body: () => T, since = performance.now()): T {
  const value = body();
  phases.push({
    phase: name,
    ms: performance.now() - since,
    rssKb: Math.round(process.memoryUsage().rss / 1024),
    maxRssKb: process.resourceUsage().maxRSS,
  });
  return value;
}

const cases = Number(process.argv[2]);
const tmp = process.argv[3];
const root = process.cwd();
if (!(cases >= 10 && cases % 10 === 0)) throw new Error(`cases must be a multiple of 10, not ${process.argv[2]}`);

// Imports: since the process started (node, the transpiler, then these modules).
const modules = phase(
  'imports',
  () => ({
    ...require('@pushbutton/nx-plugin/src/config/load-config'),
    ...require('@pushbutton/nx-plugin/src/steps/workflow/cases'),
    ...require('@pushbutton/nx-plugin/src/render/render-step'),
    workflowRender: require('@pushbutton/nx-plugin/src/steps/workflow/workflow-render').default,
    workflowLaunch: require('@pushbutton/nx-plugin/src/steps/workflow/workflow-launch').default,
  }),
  0,
);
const { loadConfig, expandCases, workflowRender, renderStep, workflowLaunch } = modules;
const { parseDocument } = require('yaml');

// The config: this workspace's, with its cases and studies replaced by one study of N cases (not timed).
cpSync(join(root, 'config'), join(tmp, 'config'), { recursive: true });
const file = join(tmp, 'config', 'workflows.yaml');
const doc = parseDocument(readFileSync(file, 'utf8'));
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
doc.set('cases', []);
doc.set('studies', {
  scale: {
    workflow: 'read_filtering',
    matrix: { 'workflows.read_filtering_posttrim_workflow.qual': range(cases / 10), 'workflows.read_filtering_pretrim_workflow.sample': range(10) },
  },
});
writeFileSync(file, doc.toString());

const facts = {
  workflow: {
    bucket_name: 'pushbutton-demo-results-rehearsal',
    bucket_arn: 'arn:aws:s3:::pushbutton-demo-results-rehearsal',
    results_prefix: 'results',
    launch_template_id: 'lt-0123456789abcdef0',
    launch_template_name: 'pushbutton-demo-workers',
    worker_role_name: 'pushbutton-demo-worker',
    worker_role_arn: 'arn:aws:iam::000000000000:role/pushbutton-demo-worker',
    instance_profile_name: 'pushbutton-demo-worker',
    instance_profile_arn: 'arn:aws:iam::000000000000:instance-profile/pushbutton-demo-worker',
  },
};
const settings = phase('loadConfig', () => loadConfig(tmp, 'config'));
const expanded = phase('expandCases', () => expandCases(settings.workflows));
if (expanded.length !== cases) throw new Error(`expected ${cases} cases, expanded ${expanded.length}`);
const items = phase('workflowRender', () => workflowRender(settings, facts, true));
const files = phase('renderStep', () => renderStep({ workspaceRoot: root, step: 'workflow', outDir: join(tmp, 'render'), items }));
phase('workflowLaunch.rehearse', () =>
  workflowLaunch.rehearse({ settings, facts, region: settings.project.region, mode: 'rehearse', workspaceRoot: tmp, print: () => {} }),
);

// The disk's floor (not a phase): the same files written bare, in the same layout, with no rendering or checks.
const texts = files.map((name: string) => [name, readFileSync(join(tmp, 'render', name), 'utf8')]);
const started = performance.now();
for (const [name, text] of texts) {
  mkdirSync(dirname(join(tmp, 'floor', name)), { recursive: true });
  writeFileSync(join(tmp, 'floor', name), text);
}
const writeFloorMs = performance.now() - started;
console.log(`BENCH ${JSON.stringify({ cases, files: files.length, phases, writeFloorMs })}`);
