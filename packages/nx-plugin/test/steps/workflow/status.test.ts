import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand, EC2Client, Instance, InstanceStateName } from '@aws-sdk/client-ec2';
import { GetObjectCommand, GetObjectCommandOutput, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Settings } from '@pushbutton/stacks';
import type { WorkflowSettings } from '@pushbutton/stacks/src/workflow/settings';
import { mockClient } from 'aws-sdk-client-mock';
import caseLedger, { LedgerEntry } from '../../../src/steps/workflow/status';
import { EffectContext, commandsCode } from '../../../src/steps/kinds';
import workflowLaunch from '../../../src/steps/workflow/workflow-launch';
import { expandCases } from '../../../src/steps/workflow/cases';
import { launchSettings, MONITORING_DEFAULTS, workflowDefinition } from './fixtures';
import { checkCallsAgainstAwsModels } from '../../aws-models';

const REGION = 'eu-central-1';
const BUCKET = 'lab-results-20250301';

const trim = workflowDefinition('trim', { description: 'Quality trimming', command: 'run-trim', parameters: { quality_trimming: { qual: 2, window: 4 } } });

/** Two single cases and a study of two: four cases. */
function workflowSettings(extraCases: WorkflowSettings['cases'] = []): WorkflowSettings {
  return {
    results: { prefix: 'results', keepOnDestroy: true },
    launch: launchSettings({ maxConcurrent: 10, imageId: 'ami-0123456789abcdef0', rootVolumeGiB: 50 }),
    monitoring: MONITORING_DEFAULTS,
    workflows: { trim },
    cases: [
      { workflow: 'trim', label: 'baseline', parameters: {} },
      { workflow: 'trim', label: 'strict', parameters: { quality_trimming: { qual: 30 } } },
      ...extraCases,
    ],
    studies: {
      sweep: { name: 'sweep', workflow: 'trim', parameters: { quality_trimming: { window: 8 } }, matrix: { 'quality_trimming.qual': [5, 10] }, include: [], exclude: [] },
    },
  };
}

const [baseline, strict, sweep5, sweep10] = expandCases(workflowSettings());

const ec2 = mockClient(EC2Client);
const s3 = mockClient(S3Client);
// Every call these mocks receive must be one AWS's own models take.
checkCallsAgainstAwsModels({ ec2, s3 });
let workspace: string;

function context(workflows = workflowSettings(), mode: EffectContext['mode'] = 'live'): EffectContext {
  const settings: Settings = { project: { name: 'lab', region: REGION, tags: {}, state: { backend: 'local' } }, workflows };
  return {
    settings,
    region: REGION,
    mode,
    workspaceRoot: workspace,
    print: () => {},
    facts: { workflow: { bucket_name: BUCKET, results_prefix: 'results', launch_template_id: 'lt-0123456789abcdef0' } },
  };
}

function worker(caseId: string, InstanceId: string, state: InstanceStateName, launched: string): Instance {
  return {
    InstanceId,
    State: { Name: state },
    LaunchTime: new Date(launched),
    Tags: [
      { Key: 'Project', Value: 'lab' },
      { Key: 'pushbutton:case-id', Value: caseId },
    ],
  };
}

const markerKey = (caseId: string, status: string) => `results/${caseId}/_pushbutton/${status}.json`;

/**
 * baseline runs (an older, terminated attempt too); strict succeeded and EC2 has forgotten its
 * worker; sweep5 failed and its worker is still shown; sweep10 was never launched. A worker
 * and a marker of a case no longer in config are there too.
 */
function accountWithEveryKindOfCase() {
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [
      { Instances: [worker(baseline.id, 'i-old', 'terminated', '2025-03-01T08:00:00Z')] },
      {
        Instances: [
          worker(baseline.id, 'i-baseline', 'running', '2025-03-01T10:00:00.123Z'),
          worker(sweep5.id, 'i-sweep5', 'terminated', '2025-03-01T10:05:00Z'),
          worker('c-000000000000', 'i-stray', 'running', '2025-03-01T09:00:00Z'),
        ],
      },
    ],
  });
  s3.on(ListObjectsV2Command).resolves({
    Contents: [
      { Key: `results/${strict.id}/outputs/data/trimmed.fq.gz`, LastModified: new Date('2025-03-01T11:59:00Z') },
      { Key: markerKey(strict.id, 'succeeded'), LastModified: new Date('2025-03-01T12:00:05Z') },
      { Key: markerKey(sweep5.id, 'failed'), LastModified: new Date('2025-03-01T10:40:00Z') },
      { Key: markerKey('c-111111111111', 'succeeded'), LastModified: new Date('2025-02-01T10:40:00Z') },
    ],
  });
  const marker = { caseId: strict.id, status: 'succeeded', exitCode: 0, startedAt: '2025-03-01T09:00:00Z', finishedAt: '2025-03-01T12:00:00Z', seconds: 10800, instanceId: 'i-strict' };
  const body = { transformToString: async () => JSON.stringify(marker) } as unknown as GetObjectCommandOutput['Body'];
  s3.on(GetObjectCommand, { Bucket: BUCKET, Key: markerKey(strict.id, 'succeeded') }).resolves({ Body: body });
}

const SPOT_TERMINATION =
  'Server.SpotInstanceTermination: The instance was terminated because the number of Spot requests with a maximum price equal to or higher than the Spot price exceeded available capacity or because of an increase in the Spot price.';

const rowsOf = (text: string) => text.split('\n').slice(2);
const rowOf = (text: string, caseId: string) => rowsOf(text).find((row) => row.startsWith(caseId));
/** Where an attempt's results are; a marker written before attempts were numbered keeps the case's folder. */
const results = (caseId: string, attempt?: number) => `s3://${BUCKET}/results/${caseId}/${attempt ? `attempt-${attempt}/` : ''}`;

beforeEach(() => {
  ec2.reset();
  s3.reset();
  workspace = mkdtempSync(join(tmpdir(), 'pushbutton-ledger-'));
});
afterEach(() => rmSync(workspace, { recursive: true, force: true }));

describe('status (the case ledger), engine ec2', () => {
  it('shows each case with its newest attempt, worker, marker, and where its results are', async () => {
    accountWithEveryKindOfCase();

    const text = await caseLedger.run(context(), { json: false });

    expect(text.split('\n')[0]).toMatch(/^case\s+workflow\s+parameters\s+attempt\s+worker\s+state\s+started\s+finished\s+results$/);
    expect(rowOf(text, baseline.id)).toMatch(
      new RegExp(`^${baseline.id}\\s+trim\\s+-\\s+1\\s+i-baseline\\s+running\\s+2025-03-01T10:00:00Z\\s+-\\s+${results(baseline.id, 1)}$`),
    );
    expect(rowOf(text, strict.id)).toMatch(
      new RegExp(`^${strict.id}\\s+trim\\s+qual=30\\s+1\\s+-\\s+succeeded\\s+2025-03-01T09:00:00Z\\s+2025-03-01T12:00:00Z\\s+${results(strict.id)}$`),
    );
    expect(rowOf(text, sweep5.id)).toMatch(
      new RegExp(`^${sweep5.id}\\s+trim\\s+window=8 qual=5\\s+1\\s+i-sweep5\\s+failed\\s+2025-03-01T10:05:00Z\\s+2025-03-01T10:40:00Z\\s+${results(sweep5.id)}$`),
    );
    expect(rowOf(text, sweep10.id)).toMatch(new RegExp(`^${sweep10.id}\\s+trim\\s+window=8 qual=10\\s+-\\s+-\\s+not started\\s+-\\s+-\\s+${results(sweep10.id)}$`));
  });

  it('reads a marker only for a case whose worker EC2 no longer shows', async () => {
    accountWithEveryKindOfCase();

    await caseLedger.run(context(), { json: false });

    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: BUCKET, Key: markerKey(strict.id, 'succeeded') }]);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0].args[0].input.Filters).toEqual([
      { Name: 'tag:Project', Values: ['lab'] },
      { Name: 'tag-key', Values: ['pushbutton:case-id'] },
    ]);
  });

  it('sums up the states per study and in all, and counts workers and markers of cases no longer configured', async () => {
    accountWithEveryKindOfCase();

    const lines = (await caseLedger.run(context(), { json: false })).split('\n');

    expect(lines).toContain('single cases: 2 cases: 1 running, 1 succeeded');
    expect(lines).toContain('study sweep: 2 cases: 1 failed, 1 not started');
    expect(lines).toContain('4 cases: 1 running, 1 succeeded, 1 failed, 1 not started');
    expect(lines.at(-1)).toBe('Cases no longer in config (not shown): workers 1, result markers 1.');
  });

  it("shows a case's newest attempt, a lost one with why, and keeps the earlier ones in JSON", async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              ...worker(sweep5.id, 'i-attempt2', 'terminated', '2025-03-02T08:00:00Z'),
              Tags: [...worker(sweep5.id, 'i', 'running', '2025-03-02T08:00:00Z').Tags!, { Key: 'pushbutton:attempt', Value: '2' }],
              // EC2's own words for this reason: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StateReason.html
              StateReason: { Code: 'Server.SpotInstanceTermination', Message: SPOT_TERMINATION },
            },
          ],
        },
      ],
    });
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `results/${sweep5.id}/attempt-1/_pushbutton/failed.json`, LastModified: new Date('2025-03-01T10:40:00Z') }] });
    s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => '{}' } as unknown as GetObjectCommandOutput['Body'] });

    const entries = JSON.parse(await caseLedger.run(context(), { json: true })) as LedgerEntry[];
    const entry = entries.find((e) => e.case === sweep5.id)!;

    expect(entry).toMatchObject({ attempt: 2, state: 'lost', worker: 'i-attempt2', reason: SPOT_TERMINATION, results: results(sweep5.id, 2), log: null });
    expect(entry.attempts.map((a) => [a.attempt, a.state, a.results])).toEqual([
      [1, 'failed', results(sweep5.id, 1)],
      [2, 'lost', results(sweep5.id, 2)],
    ]);
    expect(entry.attempts[0].log).toBe(`${results(sweep5.id, 1)}logs/run-case.log`);
  });

  it("falls back to the marker's upload time when the marker cannot be read as JSON", async () => {
    accountWithEveryKindOfCase();
    const body = { transformToString: async () => 'not json' } as unknown as GetObjectCommandOutput['Body'];
    s3.on(GetObjectCommand).resolves({ Body: body });

    const text = await caseLedger.run(context(), { json: false });

    expect(rowOf(text, strict.id)).toMatch(/\s+succeeded\s+-\s+2025-03-01T12:00:05Z\s+/);
  });

  it('prints only JSON with the documented keys for --json', async () => {
    accountWithEveryKindOfCase();

    const entries = JSON.parse(await caseLedger.run(context(), { json: true })) as LedgerEntry[];

    for (const entry of entries) {
      expect(Object.keys(entry)).toEqual(['case', 'label', 'workflow', 'study', 'parameters', 'attempt', 'state', 'worker', 'reason', 'started', 'finished', 'results', 'log', 'attempts']);
    }
    expect(entries.map((e) => e.case)).toEqual([baseline.id, strict.id, sweep5.id, sweep10.id]);
    const attempt = {
      attempt: 1,
      state: 'succeeded',
      worker: null,
      reason: null,
      started: '2025-03-01T09:00:00Z',
      finished: '2025-03-01T12:00:00Z',
      results: results(strict.id),
      log: `${results(strict.id)}logs/run-case.log`,
    };
    expect(entries[1]).toEqual({
      case: strict.id,
      label: 'strict',
      workflow: 'trim',
      study: null,
      parameters: { 'quality_trimming.qual': 30 },
      ...attempt,
      attempts: [attempt],
    });
    expect(entries[2]).toMatchObject({ study: 'sweep', parameters: { 'quality_trimming.window': 8, 'quality_trimming.qual': 5 }, worker: 'i-sweep5', state: 'failed' });
    expect(entries[3]).toMatchObject({ attempt: null, worker: null, state: 'not started', started: null, finished: null, attempts: [] });
  });

  it("rehearses from config and the rehearsal's planned cases, without calling AWS", () => {
    workflowLaunch.rehearse(context(workflowSettings(), 'rehearse'));
    const added = workflowSettings([{ workflow: 'trim', label: 'lenient', parameters: { quality_trimming: { qual: 1 } } }]);
    const lenient = expandCases(added).find((c) => c.label === 'lenient')!;

    const text = caseLedger.rehearse(context(added, 'rehearse'), { json: false });
    const entries = JSON.parse(caseLedger.rehearse(context(added, 'rehearse'), { json: true })) as LedgerEntry[];

    expect(ec2.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
    expect(rowOf(text, baseline.id)).toMatch(new RegExp(`^${baseline.id}\\s+trim\\s+-\\s+-\\s+-\\s+planned \\(rehearsal\\)\\s+-\\s+-\\s+${results(baseline.id)}$`));
    expect(rowOf(text, lenient.id)).toMatch(/\s+not planned\s+/);
    expect(text).toContain('5 cases: 4 planned (rehearsal), 1 not planned');
    expect(entries.find((e) => e.case === lenient.id)).toMatchObject({ state: 'not planned', worker: null });
  });
});

it('is registered as the status command', () => {
  expect(commandsCode().status).toBe(caseLedger);
});
