// What templates/workflow renders: per case, the cloud-init user-data its worker boots with, which
// carries the case's values (case.env) and the script that runs the case, the same for every case.
import { gzipSync } from 'node:zlib';
import type { Settings } from '@pushbutton/stacks';
import { FactsByUnit as Facts, stringFact } from '../../facts';
import { memoized } from '../../render/memoized';
import type { RenderItem } from '../../render/render-step';
import type { RenderPlan } from '../kinds';
import { caseResultsUrl, expandCases, WorkflowCase, workflowSettings } from './cases';

const CASES_DIR = 'cases';

/**
 * EC2 takes at most 16 KB of user data, before base64
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html).
 */
export const USER_DATA_LIMIT = { limit: 16 * 1024, why: 'EC2 takes as user data (before base64): shorten the workflow\'s setup, config or parameters' };

/** Where a case's user-data is rendered, in the step's render folder: every case's in one folder (a folder each would double the file system's work). */
export const userDataFile = (caseId: string) => `${CASES_DIR}/${caseId}.user-data.yaml`;

const workflowRender: RenderPlan = (settings: Settings, facts: Facts, rehearsal: boolean): RenderItem[] => {
  const workflows = workflowSettings(settings);
  const bucket = stringFact(facts, 'Rendering the workflow step', 'workflow', ['bucket_name']);
  const prefix = stringFact(facts, 'Rendering the workflow step', 'workflow', ['results_prefix']);
  const shared = {
    project: { name: settings.project.name, region: settings.project.region },
    rehearsal,
    config: settings,
    facts,
    // The runner, the same text for every case, is compressed once.
    gzipBase64: memoized(gzipBase64),
  };
  return expandCases(workflows).map((workflowCase) => ({
    templateDir: 'case',
    outDir: CASES_DIR,
    filePrefix: `${workflowCase.id}.`,
    maxBytes: USER_DATA_LIMIT,
    context: {
      ...shared,
      case: caseContext(workflowCase),
      workflow: workflows.workflows[workflowCase.workflow],
      results: { bucket, prefix, uri: caseResultsUrl(bucket, prefix, workflowCase.id) },
    },
  }));
};

export default workflowRender;

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
