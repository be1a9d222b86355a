// retry on the EC2 engine, and what it refuses: each case's next attempt is a new launch (its own
// client token) whose user-data is rendered again from the real templates with that attempt.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DescribeInstancesCommand, EC2Client, Instance, RunInstancesCommand, RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { WorkflowSettings } from '@pushbutton/stacks/src/workflow/settings';
import { mockClient } from 'aws-sdk-client-mock';
import { parse as parseYaml } from 'yaml';
import { commandsCode, EffectContext } from '../../../src/steps/kinds';
import { paths } from '../../../src/paths';
import { expandCases } from '../../../src/steps/workflow/cases';
import retry from '../../../src/steps/workflow/retry';
import { userDataFile } from '../../../src/steps/workflow/workflow-render';
import { launchSettings, MONITORING_DEFAULTS, workflowContext, workflowDefinition } from './fixtures';
import { checkCallsAgainstAwsModels } from '../../aws-models';

const REPO = join(__dirname, '../../../../..');
const BUCKET = 'lab-results-20250301';

const trim = workflowDefinition('trim');

const workflows = (maxConcurrent = 10): WorkflowSettings => ({
  results: { prefix: 'results', keepOnDestroy: true },
  launch: launchSettings({ maxConcurrent }),
  monitoring: MONITORING_DEFAULTS,
  workflows: { trim },
  cases: [{ workflow: 'trim', label: 'baseline', parameters: {} }],
  studies: { sweep: { name: 'sweep', workflow: 'trim', parameters: {}, matrix: { qual: [5, 10, 20] }, include: [], exclude: [] } },
});
const [baseline, sweep5, sweep10, sweep20] = expandCases(workflows());

const ec2 = mockClient(EC2Client);
const s3 = mockClient(S3Client);
// Every call these mocks receive must be one AWS's own models take.
checkCallsAgainstAwsModels({ ec2, s3 });
let workspace: string;

const context = (mode: EffectContext['mode'] = 'live', maxConcurrent = 10) =>
  workflowContext({
    workflows: workflows(maxConcurrent),
    mode,
    workspaceRoot: workspace,
    facts: { bucket_name: BUCKET, results_prefix: 'results', launch_template_id: 'lt-0123456789abcdef0' },
  });

const tags = (caseId: string, attempt: number) => [
  { Key: 'Project', Value: 'lab' },
  { Key: 'pushbutton:case-id', Value: caseId },
  { Key: 'pushbutton:attempt', Value: String(attempt) },
];
const ended = (caseId: string, attempt: number): Instance => ({ InstanceId: `i-${caseId.slice(2)}${attempt}`, State: { Name: 'terminated' }, Tags: tags(caseId, attempt) });
const running = (caseId: string, attempt: number): Instance => ({ ...ended(caseId, attempt), State: { Name: 'running' } });

/** baseline succeeded; sweep5 failed; sweep10 timed out in attempt 2 after a failed attempt 1; sweep20 runs. */
function account() {
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [running(sweep20.id, 1), ended(sweep5.id, 1)] }] });
  s3.on(ListObjectsV2Command).resolves({
    Contents: [
      { Key: `results/${baseline.id}/attempt-1/_pushbutton/succeeded.json` },
      { Key: `results/${sweep5.id}/attempt-1/_pushbutton/failed.json` },
      { Key: `results/${sweep10.id}/attempt-1/_pushbutton/failed.json` },
      { Key: `results/${sweep10.id}/attempt-2/_pushbutton/timed-out.json` },
    ],
  });
  ec2.on(RunInstancesCommand).callsFake((input: RunInstancesCommandInput) => ({
    Instances: [{ InstanceId: `i-${input.ClientToken!.slice(2, 14)}`, State: { Name: 'pending' } }],
  }));
}

const launches = () => ec2.commandCalls(RunInstancesCommand).map((call) => call.args[0].input);
const jobLineOf = (input: RunInstancesCommandInput) => {
  const userData = parseYaml(Buffer.from(input.UserData!, 'base64').toString()) as { write_files: { path: string; content: string }[] };
  return userData.write_files.find((file) => file.path === '/opt/pushbutton/case/job')!.content;
};

beforeEach(() => {
  ec2.reset();
  s3.reset();
  workspace = mkdtempSync(join(tmpdir(), 'pushbutton-retry-'));
  cpSync(join(REPO, 'templates'), join(workspace, 'templates'), { recursive: true });
  // Attempt 1 as workflow-render left it; a retry renders its own.
  for (const c of [baseline, sweep5, sweep10, sweep20]) {
    const file = join(workspace, paths.renderDir('live', 'workflow'), userDataFile(c.id));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '#cloud-config\n');
  }
  account();
});
afterEach(() => rmSync(workspace, { recursive: true, force: true }));

describe('retry, engine ec2', () => {
  it("launches each failed, timed-out or lost case again as its next attempt, with its own client token and user-data", async () => {
    const text = await retry.run(context(), { failed: true });

    expect(launches().map((input) => input.ClientToken)).toEqual([`${sweep5.id}-a2`, `${sweep10.id}-a3`]);
    expect(launches().map(jobLineOf)).toEqual([`${sweep5.id} 2\n`, `${sweep10.id} 3\n`]);
    const attemptTag = (input: RunInstancesCommandInput) => input.TagSpecifications![0].Tags!.find((tag) => tag.Key === 'pushbutton:attempt')?.Value;
    expect(launches().map(attemptTag)).toEqual(['2', '3']);
    expect(text).toBe(`Retried 2 of 2 cases on ec2:\n  ${sweep5.id} (sweep qual=5), attempt 2\n  ${sweep10.id} (sweep qual=10), attempt 3`);
  });

  it('retries a case named by label, and says why it leaves a named case that did not fail', async () => {
    const text = await retry.run(context(), { case: ['sweep qual=5', baseline.id] });

    expect(launches().map((input) => input.ClientToken)).toEqual([`${sweep5.id}-a2`]);
    expect(text).toContain(`Not retried: ${baseline.id} (baseline): its attempt 1 is succeeded`);
  });

  it('keeps to the concurrency cap, and says the rest start when the same retry runs again', async () => {
    const text = await retry.run(context('live', 2), { study: ['sweep'] });

    expect(launches().map((input) => input.ClientToken)).toEqual([`${sweep5.id}-a2`]);
    expect(text).toContain('Not yet: 1 cases wait for capacity (maxConcurrent 2): the same retry, run again once workers finish, starts them');
  });

  it('refuses when nothing selected can be retried, saying why for each named case', async () => {
    await expect(retry.run(context(), { case: [baseline.id, sweep20.id] })).rejects.toThrow(
      `Nothing to retry: no selected case's newest attempt failed, timed out or was lost.\n  ${baseline.id} (baseline): its attempt 1 is succeeded\n  ${sweep20.id} (sweep qual=20): its attempt 1 is running`,
    );
    expect(launches()).toHaveLength(0);
  });

  it('refuses an unknown case or study, and a call that names no cases, before calling AWS', async () => {
    await expect(retry.run(context(), { case: ['c-000000000000'] })).rejects.toThrow('No case "c-000000000000" in config/workflows.yaml');
    await expect(retry.run(context(), { study: ['sweeep'] })).rejects.toThrow('No study "sweeep" in config/workflows.yaml; its studies: sweep.');
    await expect(retry.run(context(), {})).rejects.toThrow('Say which cases to retry: --case');
    expect(ec2.calls()).toHaveLength(0);
  });

  it('rehearses the selection without calling AWS', () => {
    const text = retry.rehearse(context('rehearse'), { study: ['sweep'] });

    expect(text.split('\n')).toEqual([
      'Would retry, on ec2, each of these 3 cases whose newest attempt failed, timed out or was lost, as its next attempt:',
      `  ${sweep5.id} (sweep qual=5)`,
      `  ${sweep10.id} (sweep qual=10)`,
      `  ${sweep20.id} (sweep qual=20)`,
      'Rehearsal: no case has run, so none has failed; nothing was read from AWS.',
    ]);
    expect(ec2.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });

  it('is registered as the retry command, taking --case, --study and --failed', () => {
    expect(commandsCode().retry).toBe(retry);
    expect(retry.options).toEqual(['case', 'study', 'failed']);
  });
});
