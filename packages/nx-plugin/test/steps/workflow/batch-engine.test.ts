// The Batch engine through aws-sdk-client-mock: submission, its idempotence (Batch has no client
// token), the ledger of 10,000 cases, and destroy with jobs in flight. Every test counts its calls.
// Shapes follow the Batch API reference (https://docs.aws.amazon.com/batch/latest/APIReference/):
// ARNs arn:aws:batch:<region>:<account>:job-queue/<name> and job-definition/<name>:<revision>, job ids
// are UUIDs and an array child's id is `<parent id>:<index>`; ListJobs pages hold 100 jobs with a
// filter and 1,000 with a status.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  BatchClient,
  DescribeJobsCommand,
  JobStatus,
  JobSummary,
  ListJobsCommand,
  ListJobsCommandInput,
  SubmitJobCommand,
  SubmitJobCommandInput,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { GetObjectCommand, GetObjectCommandOutput, ListObjectsV2Command, PutObjectCommand, PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { EC2Client, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import type { WorkflowSettings } from '@pushbutton/stacks/src/workflow/settings';
import { mockClient } from 'aws-sdk-client-mock';
import type { EffectContext } from '../../../src/steps/kinds';
import { paths } from '../../../src/paths';
import { jobName, MAX_ARRAY_SIZE } from '../../../src/steps/workflow/batch-engine';
import { expandCases, WorkflowCase } from '../../../src/steps/workflow/cases';
import type { WorkflowLaunchFacts } from '../../../src/steps/workflow/facts';
import retry from '../../../src/steps/workflow/retry';
import status, { LedgerEntry } from '../../../src/steps/workflow/status';
import workflowLaunch from '../../../src/steps/workflow/workflow-launch';
import { caseEnvFile, RUNNER_FILE } from '../../../src/steps/workflow/workflow-render';
import { launchSettings, MONITORING_DEFAULTS, workflowContext, workflowDefinition } from './fixtures';
import { checkCallsAgainstAwsModels } from '../../aws-models';

const REGION = 'eu-central-1';
const ACCOUNT = '123456789012';
const BUCKET = 'lab-results-20250301';
const QUEUE = `arn:aws:batch:${REGION}:${ACCOUNT}:job-queue/lab-workflow`;
const definitionArn = (workflow: string) => `arn:aws:batch:${REGION}:${ACCOUNT}:job-definition/lab-${workflow}:1`;

const definition = (name: string, instanceType: string) => workflowDefinition(name, { instanceType });

/** A single case of each of two workflows, and a study of `studySize` cases. */
function workflowSettings(studySize = 3, extraCases: WorkflowSettings['cases'] = []): WorkflowSettings {
  return {
    results: { prefix: 'results', keepOnDestroy: true },
    launch: launchSettings({ engine: 'batch' }),
    monitoring: MONITORING_DEFAULTS,
    workflows: { trim: definition('trim', 'm5.2xlarge'), assemble: definition('assemble', 'r5.4xlarge') },
    cases: [{ workflow: 'trim', label: 'baseline', parameters: {} }, { workflow: 'assemble', label: 'assembly', parameters: {} }, ...extraCases],
    studies: {
      sweep: { name: 'sweep', workflow: 'trim', parameters: {}, matrix: { qual: Array.from({ length: studySize }, (_, i) => i + 3) }, include: [], exclude: [] },
    },
  };
}

const batch = mockClient(BatchClient);
const s3 = mockClient(S3Client);
const ec2 = mockClient(EC2Client);
// Every call these mocks receive must be one AWS's own models take.
checkCallsAgainstAwsModels({ batch, ec2, s3 });
let workspace: string;
let printed: string[];

const context = (workflows = workflowSettings(), mode: EffectContext['mode'] = 'live') =>
  workflowContext({
    workflows,
    mode,
    workspaceRoot: workspace,
    print: (line) => printed.push(line),
    tags: { Owner: 'lab-team' },
    facts: {
      bucket_name: BUCKET,
      results_prefix: 'results',
      job_queue_arn: QUEUE,
      job_definitions: { trim: definitionArn('trim'), assemble: definitionArn('assemble') },
      log_group_name: '/pushbutton/lab/workflow',
      jobs_prefix: '_pushbutton/jobs',
    },
  });

/** What workflow-render leaves: the runner and each case's case.env. */
function renderCases(cases: WorkflowCase[]): void {
  const dir = join(workspace, paths.renderDir('live', 'workflow'));
  mkdirSync(join(dir, 'cases'), { recursive: true });
  writeFileSync(join(dir, RUNNER_FILE), '#!/usr/bin/env bash\n', { mode: 0o755 });
  for (const c of cases) writeFileSync(join(dir, caseEnvFile(c.id)), `CASE_ID=${c.id}\n`);
}

// The queue as Batch shows it: what was submitted, with the status the test gives it. Manifests
// uploaded to S3 are kept so GetObject returns them.
let queue: JobSummary[];
let objects: Map<string, Buffer>;

const body = (text: Buffer | string) => ({ transformToString: async () => text.toString() }) as unknown as GetObjectCommandOutput['Body'];

function listJobs(input: ListJobsCommandInput) {
  if (input.jobQueue && input.filters) {
    expect(input.filters).toEqual([{ name: 'JOB_NAME', values: ['lab-*'] }]);
    return { jobSummaryList: queue };
  }
  if (input.jobQueue && input.jobStatus) return { jobSummaryList: queue.filter((job) => job.status === input.jobStatus) };
  return { jobSummaryList: [] };
}

function submitJob(input: SubmitJobCommandInput) {
  const jobId = randomUUID();
  queue.push({
    jobId,
    jobName: input.jobName,
    jobArn: `arn:aws:batch:${REGION}:${ACCOUNT}:job/${jobId}`,
    status: 'SUBMITTED',
    createdAt: Date.now(),
    ...(input.arrayProperties && { arrayProperties: { size: input.arrayProperties.size } }),
  });
  return { jobId, jobName: input.jobName, jobArn: `arn:aws:batch:${REGION}:${ACCOUNT}:job/${jobId}` };
}

const submitted = () => batch.commandCalls(SubmitJobCommand).map((call) => call.args[0].input);
const batchCalls = () => batch.calls().length;
const factsOf = (result: { facts: unknown }) => result.facts as WorkflowLaunchFacts;
const manifestOf = (name: string) => objects.get(`_pushbutton/jobs/${name}/manifest.txt`)!.toString();

beforeEach(() => {
  batch.reset();
  s3.reset();
  ec2.reset();
  printed = [];
  queue = [];
  objects = new Map();
  workspace = mkdtempSync(join(tmpdir(), 'pushbutton-batch-'));
  renderCases(expandCases(workflowSettings()));
  batch.on(ListJobsCommand).callsFake(listJobs);
  batch.on(SubmitJobCommand).callsFake(submitJob);
  s3.on(ListObjectsV2Command).resolves({});
  s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
    objects.set(input.Key!, Buffer.from(input.Body as Buffer | string));
    return {};
  });
  s3.on(GetObjectCommand).callsFake(({ Key }) => {
    const found = objects.get(Key);
    if (!found) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return { Body: body(found) };
  });
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
});
afterEach(() => rmSync(workspace, { recursive: true, force: true }));

describe('Batch submission (workflow-launch apply, engine batch)', () => {
  const CASES = expandCases(workflowSettings());
  const [baseline, assembly, ...study] = CASES;

  it('submits every case in one provision: the study as one array job, each single case as a plain job', async () => {
    const result = await workflowLaunch.apply(context());

    expect(submitted().map((input) => [input.jobName, input.jobDefinition, input.arrayProperties?.size])).toEqual([
      [`lab-${baseline.id}-a1`, definitionArn('trim'), undefined],
      [`lab-${assembly.id}-a1`, definitionArn('assemble'), undefined],
      [jobName('lab', study.map((workflowCase) => ({ workflowCase, attempt: 1 }))), definitionArn('trim'), 3],
    ]);
    for (const input of submitted()) {
      expect(input.jobQueue).toBe(QUEUE);
      expect(input.jobName).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/);
      expect(input.containerOverrides?.environment).toEqual([{ name: 'PUSHBUTTON_JOB_URI', value: `s3://${BUCKET}/_pushbutton/jobs/${input.jobName}/` }]);
      expect(input.tags).toMatchObject({ Project: 'lab', ManagedBy: 'pushbutton', Owner: 'lab-team' });
      expect(input.propagateTags).toBe(true);
    }
    expect(submitted()[2].tags).toMatchObject({ 'pushbutton:study': 'sweep', 'pushbutton:workflow': 'trim' });
    // One ListJobs to see what is queued, one SubmitJob per job.
    expect(batchCalls()).toBe(4);
    expect(factsOf(result)).toEqual({ engine: 'batch', cases: 5, launched: [baseline.id, assembly.id, ...study.map((c) => c.id)], running: 5, finished: 0, waiting: 0 });
    expect(result.pending).toEqual([]);
  });

  it("uploads each job's manifest (array index to case and attempt) and pack (the runner and its cases' case.env) before submitting it", async () => {
    await workflowLaunch.apply(context());

    const array = submitted()[2].jobName!;
    expect(manifestOf(array)).toBe(study.map((c) => `${c.id} 1\n`).join(''));
    const pack = gunzipSync(objects.get(`_pushbutton/jobs/${array}/job.tar.gz`)!).toString('latin1');
    for (const file of [RUNNER_FILE, ...study.map((c) => caseEnvFile(c.id))]) expect(pack).toContain(file);
    expect(pack).not.toContain(baseline.id);
    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);
    expect(puts.slice(4, 6)).toEqual([`_pushbutton/jobs/${array}/job.tar.gz`, `_pushbutton/jobs/${array}/manifest.txt`]);
  });

  it('submits nothing on a re-run while the jobs are queued, running or done', async () => {
    await workflowLaunch.apply(context());
    queue.forEach((job, i) => (job.status = (['RUNNABLE', 'SUCCEEDED', 'RUNNING'] as JobStatus[])[i]));
    const array = queue[2];
    batch.on(DescribeJobsCommand).resolves({ jobs: [{ jobId: array.jobId!, jobName: array.jobName!, jobQueue: QUEUE, status: 'RUNNING', startedAt: 1, jobDefinition: definitionArn('trim'), arrayProperties: { statusSummary: { RUNNING: 3 } } }] });
    batch.on(ListJobsCommand, { arrayJobId: array.jobId, jobStatus: 'RUNNING' }).resolves({
      jobSummaryList: study.map((_, index) => ({ jobId: `${array.jobId}:${index}`, jobName: array.jobName!, status: 'RUNNING', arrayProperties: { index } })),
    });
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `results/${assembly.id}/attempt-1/_pushbutton/succeeded.json` }] });

    const result = await workflowLaunch.apply(context());

    expect(submitted()).toHaveLength(3);
    expect(factsOf(result)).toMatchObject({ launched: [], running: 4, finished: 1 });
  });

  it('submits nothing twice when a run died after Batch took a job but before it heard back', async () => {
    // The first SubmitJob reaches Batch, whose answer is lost (the SDK gives up); the run fails there.
    batch.on(SubmitJobCommand).callsFakeOnce((input: SubmitJobCommandInput) => {
      submitJob(input);
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    });
    await expect(workflowLaunch.apply(context())).rejects.toThrow('socket hang up');
    expect(queue.map((job) => job.jobName)).toEqual([`lab-${baseline.id}-a1`]);

    batch.on(SubmitJobCommand).callsFake(submitJob);
    await workflowLaunch.apply(context());

    const names = submitted().map((input) => input.jobName);
    expect(names).toHaveLength(3);
    expect(new Set(names).size).toBe(3);
    expect(queue).toHaveLength(3);
  });

  it('submits exactly the one case added to config since', async () => {
    await workflowLaunch.apply(context());
    // Batch has not started the array's children yet.
    batch.on(DescribeJobsCommand).resolves({ jobs: [{ jobId: queue[2].jobId!, jobName: queue[2].jobName!, jobQueue: QUEUE, status: 'SUBMITTED', startedAt: undefined, jobDefinition: definitionArn('trim'), arrayProperties: { size: 3 } }] });
    const added = workflowSettings(3, [{ workflow: 'trim', label: 'lenient', parameters: { qual: 1 } }]);
    const lenient = expandCases(added).find((c) => c.label === 'lenient')!;
    renderCases(expandCases(added));

    const result = await workflowLaunch.apply(context(added));

    expect(submitted().slice(3).map((input) => input.jobName)).toEqual([`lab-${lenient.id}-a1`]);
    expect(factsOf(result).launched).toEqual([lenient.id]);
  });

  it('submits a study of 10,000 cases as one array job, in a handful of calls', async () => {
    const big = workflowSettings(MAX_ARRAY_SIZE);
    const cases = expandCases(big);
    renderCases(cases);

    const result = await workflowLaunch.apply(context(big));

    expect(submitted().map((input) => input.arrayProperties?.size)).toEqual([undefined, undefined, MAX_ARRAY_SIZE]);
    expect(batchCalls()).toBe(4);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(6);
    expect(manifestOf(submitted()[2].jobName!).split('\n').filter(Boolean)).toHaveLength(MAX_ARRAY_SIZE);
    expect(factsOf(result).launched).toHaveLength(MAX_ARRAY_SIZE + 2);
  });

  it('splits a study over 10,000 cases into arrays Batch takes (one case left over goes as a plain job)', async () => {
    const big = workflowSettings(MAX_ARRAY_SIZE + 1);
    renderCases(expandCases(big));

    await workflowLaunch.apply(context(big));

    expect(submitted().map((input) => input.arrayProperties?.size)).toEqual([undefined, undefined, MAX_ARRAY_SIZE, undefined]);
  });

  it('stops before submitting anything when a case was not rendered, naming workflow-render', async () => {
    rmSync(join(workspace, paths.renderDir('live', 'workflow'), caseEnvFile(study[1].id)));

    await expect(workflowLaunch.apply(context())).rejects.toThrow(/Case c-[0-9a-f]{12} \(sweep qual=4\) has not been rendered: .* Run workflow-render first/);
    expect(submitted()).toHaveLength(2);
  });

  it('says what to do when the stack was applied without its Batch queue', async () => {
    const ctx = context();
    ctx.facts.workflow = { bucket_name: BUCKET, results_prefix: 'results' };

    await expect(workflowLaunch.apply(ctx)).rejects.toThrow('launch.engine is batch, but the workflow stack has no Batch queue');
    expect(batchCalls()).toBe(0);
  });

  it('rehearses the submission plan without calling AWS', () => {
    const result = workflowLaunch.rehearse(context(workflowSettings(), 'rehearse'));

    expect(batch.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
    expect(printed[0]).toBe('Would submit 5 cases to the Batch queue as 3 jobs (1 array job):');
    expect(printed).toContain(`  array job ${jobName('lab', study.map((workflowCase) => ({ workflowCase, attempt: 1 })))} of 3 cases (study sweep)`);
    expect(factsOf(result)).toEqual({ engine: 'batch', cases: 5, launched: CASES.map((c) => c.id), running: 0, finished: 0, waiting: 0 });
  });
});

describe('the ledger of a Batch study (status)', () => {
  /** A study of `size` cases in one array job, whose children Batch shows as the statuses say, by index range. */
  function arrayInFlight(size: number, statuses: [JobStatus, number][]) {
    const cases = expandCases(workflowSettings(size)).filter((c) => c.study);
    const launches = cases.map((workflowCase) => ({ workflowCase, attempt: 1 }));
    const name = jobName('lab', launches);
    const parent = { jobId: randomUUID(), jobName: name, status: 'PENDING' as JobStatus, arrayProperties: { size } };
    queue.push(parent);
    objects.set(`_pushbutton/jobs/${name}/manifest.txt`, Buffer.from(launches.map((l) => `${l.workflowCase.id} 1\n`).join('')));
    const summary = Object.fromEntries(statuses);
    batch.on(DescribeJobsCommand).resolves({
      jobs: [{ jobId: parent.jobId, jobName: name, jobQueue: QUEUE, status: 'PENDING', startedAt: undefined, jobDefinition: definitionArn('trim'), arrayProperties: { size, statusSummary: summary } }],
    });
    // Children by status, 1,000 to a page as ListJobs gives them.
    let start = 0;
    for (const [status, count] of statuses) {
      const children = Array.from({ length: count }, (_, i) => ({
        jobId: `${parent.jobId}:${start + i}`,
        jobName: name,
        status,
        arrayProperties: { index: start + i },
        ...(status === 'RUNNING' && { startedAt: Date.UTC(2025, 2, 1, 10) }),
      }));
      start += count;
      const pages = Array.from({ length: Math.ceil(count / 1000) }, (_, page) => children.slice(page * 1000, (page + 1) * 1000));
      batch.on(ListJobsCommand, { arrayJobId: parent.jobId, jobStatus: status }).callsFake((input: ListJobsCommandInput) => {
        const page = Number(input.nextToken ?? 0);
        expect(input.maxResults).toBe(1000);
        return { jobSummaryList: pages[page] ?? [], ...(page + 1 < pages.length && { nextToken: String(page + 1) }) };
      });
    }
    return { cases, parent };
  }

  it('reads 10,000 cases from the parent\'s status summary and its children by page: a dozen Batch calls', async () => {
    const { cases } = arrayInFlight(10_000, [['RUNNING', 2_000], ['RUNNABLE', 8_000]]);

    const entries = JSON.parse(await status.run(context(workflowSettings(10_000)), { json: true })) as LedgerEntry[];

    const ofStudy = entries.filter((e) => e.study === 'sweep');
    expect(ofStudy).toHaveLength(10_000);
    expect(ofStudy.filter((e) => e.state === 'running')).toHaveLength(2_000);
    expect(ofStudy.filter((e) => e.state === 'queued')).toHaveLength(8_000);
    expect(ofStudy[0]).toMatchObject({ case: cases[0].id, attempt: 1, started: '2025-03-01T10:00:00Z' });
    expect(ofStudy[0].worker).toMatch(/:0$/);
    // ListJobs of the queue, DescribeJobs of the parent, 2 + 8 pages of children.
    expect(batchCalls()).toBe(12);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it('counts each study by state, beside the single cases', async () => {
    arrayInFlight(3, [['SUCCEEDED', 1], ['FAILED', 1], ['RUNNING', 1]]);
    const [, , first, second] = expandCases(workflowSettings());
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: `results/${first.id}/attempt-1/_pushbutton/succeeded.json`, LastModified: new Date('2025-03-01T11:00:00Z') },
        { Key: `results/${second.id}/attempt-1/_pushbutton/failed.json`, LastModified: new Date('2025-03-01T11:00:00Z') },
      ],
    });
    objects.set(`results/${first.id}/attempt-1/_pushbutton/succeeded.json`, Buffer.from('{"startedAt":"2025-03-01T10:00:00Z","finishedAt":"2025-03-01T11:00:00Z"}'));
    objects.set(`results/${second.id}/attempt-1/_pushbutton/failed.json`, Buffer.from('{}'));

    const lines = (await status.run(context(), { json: false })).split('\n');

    expect(lines).toContain('study sweep: 3 cases: 1 succeeded, 1 failed, 1 running');
    expect(lines).toContain('single cases: 2 cases: 2 not started');
    expect(lines.at(-1)).toBe("Running jobs log to CloudWatch Logs group /pushbutton/lab/workflow; each attempt's log is under its results when it ends.");
  });
});

describe('retry, engine batch', () => {
  it('submits the failed and lost cases of a study again, as attempt 2, in one array job', async () => {
    const CASES = expandCases(workflowSettings());
    const study = CASES.filter((c) => c.study);
    const launches = study.map((workflowCase) => ({ workflowCase, attempt: 1 }));
    const name = jobName('lab', launches);
    const parentId = randomUUID();
    queue.push({ jobId: parentId, jobName: name, status: 'FAILED', arrayProperties: { size: 3 } });
    objects.set(`_pushbutton/jobs/${name}/manifest.txt`, Buffer.from(launches.map((l) => `${l.workflowCase.id} 1\n`).join('')));
    batch.on(DescribeJobsCommand).resolves({ jobs: [{ jobId: parentId, jobName: name, jobQueue: QUEUE, status: 'FAILED', startedAt: 1, jobDefinition: definitionArn('trim'), arrayProperties: { statusSummary: { SUCCEEDED: 1, FAILED: 2 } } }] });
    // Child 2 failed before the runner could write a marker: a lost attempt, with Batch's reason.
    batch.on(ListJobsCommand, { arrayJobId: parentId, jobStatus: 'FAILED' }).resolves({
      jobSummaryList: [
        { jobId: `${parentId}:1`, jobName: name, status: 'FAILED', arrayProperties: { index: 1 }, statusReason: 'Essential container in task exited' },
        { jobId: `${parentId}:2`, jobName: name, status: 'FAILED', arrayProperties: { index: 2 }, statusReason: 'Host EC2 (instance i-0123456789abcdef0) terminated.' },
      ],
    });
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: `results/${study[0].id}/attempt-1/_pushbutton/succeeded.json` },
        { Key: `results/${study[1].id}/attempt-1/_pushbutton/failed.json` },
      ],
    });

    const text = await retry.run(context(), { study: ['sweep'] });

    const retried = study.slice(1).map((workflowCase) => ({ workflowCase, attempt: 2 }));
    expect(submitted().map((input) => [input.jobName, input.arrayProperties?.size])).toEqual([[jobName('lab', retried), 2]]);
    expect(manifestOf(jobName('lab', retried))).toBe(`${study[1].id} 2\n${study[2].id} 2\n`);
    expect(text.split('\n')[0]).toBe('Retried 2 of 2 cases on batch:');
    expect(text).toContain(`${study[2].id} (sweep qual=5), attempt 2`);
  });
});

describe('destroy (workflow-launch destroy, engine batch)', () => {
  it('stops every queued and running job of the queue, parents rather than their children, and waits until none is left', async () => {
    queue.push(
      { jobId: 'a1b2c3d4-0000-4000-8000-000000000001', jobName: 'lab-sweep-0123456789ab', status: 'PENDING', arrayProperties: { size: 3 } },
      { jobId: 'a1b2c3d4-0000-4000-8000-000000000002', jobName: 'lab-c-0123456789ab-a1', status: 'RUNNABLE' },
      { jobId: 'a1b2c3d4-0000-4000-8000-000000000003', jobName: 'lab-c-0123456789ac-a1', status: 'SUCCEEDED' },
      { jobId: 'a1b2c3d4-0000-4000-8000-000000000001:0', jobName: 'lab-sweep-0123456789ab', status: 'RUNNING', arrayProperties: { index: 0 } },
    );
    batch.on(TerminateJobCommand).callsFake(({ jobId }) => {
      for (const job of queue.filter((j) => j.jobId === jobId || j.jobId!.startsWith(`${jobId}:`))) job.status = 'FAILED';
      return {};
    });

    await workflowLaunch.destroy(context());

    expect(batch.commandCalls(TerminateJobCommand).map((call) => call.args[0].input)).toEqual([
      { jobId: 'a1b2c3d4-0000-4000-8000-000000000001', reason: 'The workflow step is being destroyed (npx nx run infra:destroy)' },
      { jobId: 'a1b2c3d4-0000-4000-8000-000000000002', reason: 'The workflow step is being destroyed (npx nx run infra:destroy)' },
    ]);
    // Five statuses listed before, and again once they stopped.
    expect(batch.commandCalls(ListJobsCommand).map((call) => call.args[0].input.jobStatus)).toEqual([
      'SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING',
    ]);
    expect(printed).toContain('Stopped 2 Batch jobs.');
    expect(ec2).toHaveReceivedCommandTimes(DescribeInstancesCommand, 1);
  });

  it('stops nothing when no job is in flight', async () => {
    queue.push({ jobId: 'a1b2c3d4-0000-4000-8000-000000000003', jobName: 'lab-c-0123456789ac-a1', status: 'SUCCEEDED' });

    await workflowLaunch.destroy(context());

    expect(batch).not.toHaveReceivedCommand(TerminateJobCommand);
    expect(printed).toContain('No Batch jobs are queued or running: nothing to stop.');
  });
});
