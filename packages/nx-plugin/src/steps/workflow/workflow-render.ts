// What templates/workflow renders: the case runner (run-case.sh), the same for every case, and per
// case its values (case.env, which a Batch job unpacks from its pack) and the cloud-init user-data an
// EC2 worker boots with, which carries both. Attempt 1 is rendered here; a retry on EC2 renders its
// attempt's user-data again, the same way (caseUserData).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Settings } from '@pushbutton/stacks';
import { agentMetrics, caseLogGroup, metricNamespace } from '@pushbutton/stacks/src/workflow/metrics';
import { FactsByUnit as Facts, stringFact } from '../../facts';
import { paths } from '../../paths';
import { memoized } from '../../render/memoized';
import { renderInMemory, RenderItem } from '../../render/render-step';
import type { EffectContext, RenderPlan } from '../kinds';
import { caseResultsUrl, expandCases, WorkflowCase, workflowSettings } from './cases';

const CASES_DIR = 'cases';

/**
 * EC2 takes at most 16 KB of user data, before base64
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html).
 */
export const USER_DATA_LIMIT = {
  limit: 16 * 1024,
  why: "EC2 takes as user data (before base64): shorten the workflow's setup, config or parameters, or use launch.engine batch",
  template: 'user-data.yaml',
};

/** Where the runner is rendered, in the step's render folder. */
export const RUNNER_FILE = 'run-case.sh';
/** Where a case's files are rendered: every case's in one folder (a folder each would double the file system's work). */
export const userDataFile = (caseId: string) => `${CASES_DIR}/${caseId}.user-data.yaml`;
export const caseEnvFile = (caseId: string) => `${CASES_DIR}/${caseId}.case.env`;

/** The render items: the runner, then each case at the given attempt (1 unless said). */
function renderItems(settings: Settings, facts: Facts, rehearsal: boolean, cases: { workflowCase: WorkflowCase; attempt: number }[]): RenderItem[] {
  const workflows = workflowSettings(settings);
  const bucket = stringFact(facts, 'Rendering the workflow step', 'workflow', ['bucket_name']);
  const prefix = stringFact(facts, 'Rendering the workflow step', 'workflow', ['results_prefix']);
  const shared = {
    project: { name: settings.project.name, region: settings.project.region },
    rehearsal,
    monitoring: {
      namespace: metricNamespace(settings.project.name),
      logGroup: caseLogGroup(settings.project.name),
      overdueShare: workflows.monitoring.overdueShare,
      agentMetrics: agentMetrics(settings.project.name),
    },
    config: settings,
    facts,
    // The runner, the same text for every case, is compressed once.
    gzipBase64: memoized(gzipBase64),
  };
  const runner: RenderItem = { templateDir: 'runner', outDir: '.', context: shared };
  return [
    runner,
    ...cases.map(({ workflowCase, attempt }) => ({
      templateDir: 'case',
      outDir: CASES_DIR,
      filePrefix: `${workflowCase.id}.`,
      // Only an EC2 worker boots from the user-data; a Batch job takes its case from its pack.
      ...(workflows.launch.engine === 'ec2' && { maxBytes: USER_DATA_LIMIT }),
      context: {
        ...shared,
        case: caseContext(workflowCase),
        attempt,
        workflow: workflows.workflows[workflowCase.workflow],
        results: { bucket, prefix, uri: caseResultsUrl(bucket, prefix, workflowCase.id) },
      },
    })),
  ];
}

const workflowRender: RenderPlan = (settings, facts, rehearsal) =>
  renderItems(settings, facts, rehearsal, expandCases(workflowSettings(settings)).map((workflowCase) => ({ workflowCase, attempt: 1 })));

export default workflowRender;

/**
 * The cloud-init user-data an EC2 worker of this attempt boots with: attempt 1 as the render step
 * wrote it, a later one rendered again from the same templates with its attempt.
 */
export function caseUserData(ctx: EffectContext, workflowCase: WorkflowCase, attempt: number): Buffer {
  const outDir = paths.renderDir(ctx.mode, 'workflow');
  const file = userDataFile(workflowCase.id);
  if (attempt > 1) {
    const items = renderItems(ctx.settings, ctx.facts, ctx.mode === 'rehearse', [{ workflowCase, attempt }]);
    return Buffer.from(renderInMemory({ workspaceRoot: ctx.workspaceRoot, step: 'workflow', outDir, items }).get(file)!);
  }
  try {
    return readFileSync(join(ctx.workspaceRoot, outDir, file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new Error(
      `Case ${workflowCase.id} (${workflowCase.label}) has no rendered user-data: ${join(outDir, file)} does not exist. ` +
        `Run workflow-render first (npx nx run infra:workflow-render).`,
    );
  }
}

function caseContext(workflowCase: WorkflowCase) {
  const { id, label, workflow, study, overrides, parameters, inputs } = workflowCase;
  return { id, label, workflow, study: study ?? '', overrides, parameters, inputs };
}

/** Where the gzip header names the operating system that wrote it (RFC 1952), and the value for Unix. */
const GZIP_OS_BYTE = 9;
const GZIP_OS_UNIX = 3;

/**
 * The text gzipped, then base64, as cloud-init's `encoding: gz+b64` takes it. zlib's header has no
 * name and mtime 0; its OS byte depends on the platform Node was built for (19 on macOS), so it is
 * set: the same text gives the same bytes wherever it is rendered with the same zlib.
 */
function gzipBase64(text: string): string {
  const gzip = gzipSync(text, { level: 9 });
  gzip[GZIP_OS_BYTE] = GZIP_OS_UNIX;
  return gzip.toString('base64');
}
