// logs: a case's log, through aws-sdk-client-mock, on both engines: live from CloudWatch Logs while
// it runs (GetLogEvents pages end when nextForwardToken comes back as sent:
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html), and
// from its results in S3 once it ended.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchClient, DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetObjectCommand, GetObjectCommandOutput, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { WorkflowSettings } from '@pushbutton/stacks/src/workflow/settings';
import { mockClient } from 'aws-sdk-client-mock';
import type { EffectContext } from '../../../src/steps/kinds';
import { commandsCode } from '../../../src/steps/kinds';
import { jobName } from '../../../src/steps/workflow/batch-engine';
import { expandCases } from '../../../src/steps/workflow/cases';
import logs, { followPoll } from '../../../src/steps/workflow/logs';
import { launchSettings, MONITORING_DEFAULTS, workflowContext, workflowDefinition } from './fixtures';
import { checkCallsAgainstAwsModels } from '../../aws-models';

const BUCKET = 'lab-results-20250301';
const GROUP = '/pushbutton/lab/workflow';
const QUEUE = 'arn:aws:batch:eu-central-1:123456789012:job-queue/lab-workflow';

const workflows = (engine: 'batch' | 'ec2'): WorkflowSettings => ({
  results: { prefix: 'results', keepOnDestroy: true },
  launch: launchSettings({ engine }),
  monitoring: MONITORING_DEFAULTS,
  workflows: { trim: workflowDefinition('trim') },
  cases: [{ workflow: 'trim', label: 'baseline', parameters: {} }],
  studies: { sweep: { name: 'sweep', workflow: 'trim', parameters: {}, matrix: { qual: [5, 10] }, include: [], exclude: [] } },
});
const [baseline, sweep5] = expandCases(workflows('ec2'));

const cwLogs = mockClient(CloudWatchLogsClient);
const batch = mockClient(BatchClient);
const ec2 = mockClient(EC2Client);
const s3 = mockClient(S3Client);
// Every call these mocks receive must be one AWS's own models take.
checkCallsAgainstAwsModels({ batch, logs: cwLogs, ec2, s3 });
let workspace: string;
let printed: string[];

const context = (engine: 'batch' | 'ec2', mode: EffectContext['mode'] = 'live') =>
  workflowContext({
    workflows: workflows(engine),
    mode,
    workspaceRoot: workspace,
    print: (line) => printed.push(line),
    facts: {
      bucket_name: BUCKET,
      results_prefix: 'results',
      log_group_name: GROUP,
      job_queue_arn: QUEUE,
      job_definitions: { trim: 'arn:aws:batch:eu-central-1:123456789012:job-definition/lab-trim:1' },
      jobs_prefix: '_pushbutton/jobs',
    },
  });

const body = (text: string) => ({ transformToString: async () => text }) as unknown as GetObjectCommandOutput['Body'];
const event = (message: string, timestamp = 1_740_823_200_000) => ({ timestamp, message, ingestionTime: timestamp + 500 });

/** EC2: the baseline case's attempt 1 runs on i-0123456789abcdef0. */
function ec2Running() {
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          {
            InstanceId: 'i-0123456789abcdef0',
            State: { Name: 'running' },
            LaunchTime: new Date('2025-03-01T10:00:00Z'),
            Tags: [
              { Key: 'Project', Value: 'lab' },
              { Key: 'pushbutton:case-id', Value: baseline.id },
              { Key: 'pushbutton:attempt', Value: '1' },
            ],
          },
        ],
      },
    ],
  });
}

beforeEach(() => {
  for (const client of [cwLogs, batch, ec2, s3]) client.reset();
  printed = [];
  followPoll.ms = 0;
  workspace = mkdtempSync(join(tmpdir(), 'pushbutton-logs-'));
  s3.on(ListObjectsV2Command).resolves({});
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  batch.on(ListJobsCommand).resolves({ jobSummaryList: [] });
});
afterEach(() => rmSync(workspace, { recursive: true, force: true }));

describe('logs, engine ec2', () => {
  it("prints a running case's log, page by page, from the stream its worker's agent ships to", async () => {
    ec2Running();
    const stream = `${baseline.id}/attempt-1/run-case`;
    cwLogs
      .on(GetLogEventsCommand, { logGroupName: GROUP, logStreamName: stream, startFromHead: true })
      .resolves({ events: [event('10:00:00 pushbutton: Stage setup')], nextForwardToken: 'f/1' });
    cwLogs.on(GetLogEventsCommand, { nextToken: 'f/1' }).resolves({ events: [event('10:00:05 pushbutton: Stage inputs')], nextForwardToken: 'f/2' });
    cwLogs.on(GetLogEventsCommand, { nextToken: 'f/2' }).resolves({ events: [], nextForwardToken: 'f/2' });

    const text = await logs.run(context('ec2'), { case: ['baseline'] });

    expect(text.split('\n')).toEqual([
      `Case ${baseline.id} (baseline), attempt 1, running; live from CloudWatch Logs ${GROUP} ${stream}:`,
      '10:00:00 pushbutton: Stage setup',
      '10:00:05 pushbutton: Stage inputs',
    ]);
    expect(cwLogs).toHaveReceivedCommandTimes(GetLogEventsCommand, 3);
  });

  it("prints an ended case's log from its results, not from CloudWatch", async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `results/${baseline.id}/attempt-1/_pushbutton/failed.json` }] });
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: `results/${baseline.id}/attempt-1/logs/run-case.log` }).resolves({ Body: body('10:00:00 pushbutton: Stage setup\n') });

    const text = await logs.run(context('ec2'), { case: [baseline.id] });

    expect(text).toBe(`Case ${baseline.id} (baseline), attempt 1, failed; its log from s3://${BUCKET}/results/${baseline.id}/attempt-1/logs/run-case.log:\n10:00:00 pushbutton: Stage setup\n`);
    expect(cwLogs.calls()).toHaveLength(0);
  });

  it('follows a running case until it ends, printing each line once, then says how it ended', async () => {
    ec2Running();
    cwLogs.on(GetLogEventsCommand).callsFake(({ nextToken }) => {
      const pages: Record<string, { events: ReturnType<typeof event>[]; nextForwardToken: string }> = {
        start: { events: [event('line 1')], nextForwardToken: 'f/1' },
        'f/1': { events: [], nextForwardToken: 'f/1' },
      };
      // After the first look, line 2 arrives; then the worker ends with a marker.
      if (nextToken === 'f/1' && followLooks++ >= 1) return { events: [event('line 2')], nextForwardToken: 'f/2' };
      if (nextToken === 'f/2') return { events: [], nextForwardToken: 'f/2' };
      return pages[nextToken ?? 'start'];
    });
    let followLooks = 0;
    let ledgerReads = 0;
    s3.on(ListObjectsV2Command).callsFake(() =>
      ++ledgerReads < 3 ? {} : { Contents: [{ Key: `results/${baseline.id}/attempt-1/_pushbutton/succeeded.json` }] },
    );

    const text = await logs.run(context('ec2'), { case: ['baseline'], follow: true });

    expect(printed).toEqual([
      `Case ${baseline.id} (baseline), attempt 1, running; following CloudWatch Logs ${GROUP} ${baseline.id}/attempt-1/run-case until it ends (Ctrl-C stops):`,
      'line 1',
      'line 2',
    ]);
    expect(text).toBe(`Attempt 1 of case ${baseline.id} ended: succeeded.`);
  });

  it('refuses a case that has not started, or one not in config, saying what to do', async () => {
    await expect(logs.run(context('ec2'), { case: ['baseline'] })).rejects.toThrow(`Case ${baseline.id} (baseline) has not started yet: npx nx run infra:provision starts it.`);
    await expect(logs.run(context('ec2'), { case: ['c-000000000000'] })).rejects.toThrow('No case "c-000000000000" in config/workflows.yaml');
    await expect(logs.run(context('ec2'), {})).rejects.toThrow('Say which case: --case <id or label>');
  });
});

describe('logs, engine batch', () => {
  it("prints a running array child's log from the stream Batch gives its newest try", async () => {
    const launches = [sweep5, expandCases(workflows('batch'))[2]].map((workflowCase) => ({ workflowCase, attempt: 1 }));
    const name = jobName('lab', launches);
    const parentId = randomUUID();
    batch.on(ListJobsCommand, { jobQueue: QUEUE }).resolves({ jobSummaryList: [{ jobId: parentId, jobName: name, status: 'PENDING', arrayProperties: { size: 2 } }] });
    batch.on(DescribeJobsCommand, { jobs: [parentId] }).resolves({ jobs: [{ jobId: parentId, jobName: name, jobQueue: QUEUE, status: 'PENDING', startedAt: undefined, jobDefinition: 'lab-trim', arrayProperties: { statusSummary: { RUNNING: 2 } } }] });
    batch.on(ListJobsCommand, { arrayJobId: parentId, jobStatus: 'RUNNING' }).resolves({
      jobSummaryList: [0, 1].map((index) => ({ jobId: `${parentId}:${index}`, jobName: name, status: 'RUNNING', arrayProperties: { index } })),
    });
    s3.on(GetObjectCommand, { Key: `_pushbutton/jobs/${name}/manifest.txt` }).resolves({ Body: body(launches.map((l) => `${l.workflowCase.id} 1\n`).join('')) });
    // A Batch stream is named <prefix>/<container>/<ECS task id>; a retried host's job has a try each.
    const stream = 'trim/default/0f1e2d3c4b5a69788796a5b4c3d2e1f0';
    batch.on(DescribeJobsCommand, { jobs: [`${parentId}:0`] }).resolves({
      jobs: [
        {
          jobId: `${parentId}:0`,
          jobName: name,
          jobQueue: QUEUE,
          status: 'RUNNING',
          startedAt: 1,
          jobDefinition: 'lab-trim',
          attempts: [{ container: { logStreamName: 'trim/default/an-earlier-try', reason: 'Host EC2 (instance i-0123456789abcdef0) terminated.' } }, { container: { logStreamName: stream } }],
        },
      ],
    });
    cwLogs.on(GetLogEventsCommand, { logGroupName: GROUP, logStreamName: stream }).resolves({ events: [event('10:00:00 pushbutton: Stage packages')], nextForwardToken: 'f/1' });
    cwLogs.on(GetLogEventsCommand, { nextToken: 'f/1' }).resolves({ events: [], nextForwardToken: 'f/1' });

    const text = await logs.run(context('batch'), { case: [sweep5.id] });

    expect(text.split('\n')).toEqual([`Case ${sweep5.id} (sweep qual=5), attempt 1, running; live from CloudWatch Logs ${GROUP} ${stream}:`, '10:00:00 pushbutton: Stage packages']);
  });

  it('rehearses without calling AWS, saying where a live run reads the log', () => {
    const text = logs.rehearse(context('batch', 'rehearse'), { case: ['baseline'] });
    expect(text).toContain(`Rehearsal: case ${baseline.id} (baseline) has no log.`);
    for (const client of [cwLogs, batch, s3]) expect(client.calls()).toHaveLength(0);
  });

  it('is registered as the logs command, taking --case, --attempt and --follow', () => {
    expect(commandsCode().logs).toBe(logs);
    expect(logs.options).toEqual(['case', 'attempt', 'follow']);
  });
});
