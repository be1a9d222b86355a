// The AWS Batch engine: every case goes to the project's job queue in one provision, and Batch
// runs them as capacity allows. The cases of one study (or the single cases of one workflow) go as
// array jobs of up to 10,000 children; one case alone as a plain job. Each job has a manifest in the
// results bucket (manifest.txt: line i is `<case id> <attempt>` of array index i) and a pack
// (job.tar.gz: the rendered runner and each case's case.env). Batch has no client token: a job's
// name follows from what it runs, and a submission looks at the queue first, so a re-run after a
// crash submits nothing twice.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchClient, JobStatus, JobSummary } from '@aws-sdk/client-batch';
import type { S3Client } from '@aws-sdk/client-s3';
import { projectTags } from '@pushbutton/stacks/src/settings';
import { count } from '../../format';
import { create } from 'tar';
import { paths } from '../../paths';
import type { EffectContext } from '../kinds';
import type { WorkflowCase } from './cases';
import { chunks, Launch, launchName, Ledger, printLaunches, Started, WorkflowEngine } from './engine';
import type { WorkflowFacts } from './facts';
import type { Worker } from './ledger';
import { s3Sdk } from '../s3-client';
import { MAX_ATTEMPTS, s3Client, workflowFacts } from './results';
import { caseEnvFile, RUNNER_FILE } from './workflow-render';

/** An array job has 2 to 10,000 children (https://docs.aws.amazon.com/batch/latest/APIReference/API_ArrayProperties.html). */
export const MAX_ARRAY_SIZE = 10_000;
/** DescribeJobs takes up to 100 job ids (https://docs.aws.amazon.com/batch/latest/APIReference/API_DescribeJobs.html). */
const DESCRIBE_AT_MOST = 100;
/** ListJobs pages: 100 with a filter, 1,000 with a status (https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html). */
const PAGE_WITH_FILTER = 100;
const PAGE_WITH_STATUS = 1000;

const QUEUED: JobStatus[] = ['SUBMITTED', 'PENDING', 'RUNNABLE'];
const RUNNING: JobStatus[] = ['STARTING', 'RUNNING'];
/** Every status a job can still run from: what destroy stops. */
export const ACTIVE: JobStatus[] = [...QUEUED, ...RUNNING];

const WAIT_FOR_STOP = { attempts: 60, intervalMs: 15_000 };

export const batchSdk = () => import('@aws-sdk/client-batch');
export const batchClient = async (region: string) => new (await batchSdk()).BatchClient({ region, maxAttempts: MAX_ATTEMPTS });

/** What a submission plans: one job and the attempts it runs, in array index order. */
export interface JobPlan {
  name: string;
  workflow: string;
  launches: Launch[];
}

/** Line i of a job's manifest: the case and attempt of array index i. */
export const manifestText = (launches: Launch[]) => launches.map(({ workflowCase, attempt }) => `${workflowCase.id} ${attempt}\n`).join('');

/**
 * A job's name follows from what it runs, so the same submission always has the same name:
 * `<project>-<case>-a<attempt>` for one case, `<project>-<study or workflow>-<hash of its manifest>` for an array.
 * Names are at most 128 letters, digits, - and _ (https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html).
 */
export function jobName(project: string, launches: Launch[]): string {
  if (launches.length === 1) return `${project}-${launches[0].workflowCase.id}-a${launches[0].attempt}`;
  const group = launches[0].workflowCase.study ?? launches[0].workflowCase.workflow;
  return `${project}-${group}-${createHash('sha256').update(manifestText(launches)).digest('hex').slice(0, 12)}`;
}

const SINGLE_JOB = (project: string) => new RegExp(`^${project}-(c-[0-9a-f]{12})-a([0-9]+)$`);

/** The jobs of a set of launches: per workflow and study, arrays of at most 10,000 children. */
export function planJobs(project: string, launches: Launch[]): JobPlan[] {
  const groups = new Map<string, Launch[]>();
  for (const launch of launches) {
    const key = `${launch.workflowCase.workflow}\0${launch.workflowCase.study ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), launch]);
  }
  return [...groups.values()].flatMap((group) =>
    chunks(group, MAX_ARRAY_SIZE).map((part) => ({ name: jobName(project, part), workflow: part[0].workflowCase.workflow, launches: part })),
  );
}

/** The workflow stack's facts with its Batch engine. */
type BatchFacts = WorkflowFacts & Required<Pick<WorkflowFacts, 'job_queue_arn' | 'job_definitions' | 'jobs_prefix'>>;

function batchFacts(ctx: EffectContext): BatchFacts {
  const facts = workflowFacts(ctx);
  if (facts.job_queue_arn && facts.job_definitions && facts.jobs_prefix) return facts as BatchFacts;
  throw new Error(
    'launch.engine is batch, but the workflow stack has no Batch queue: it was applied with another engine. ' +
      `Apply it again: npx nx run infra:workflow-apply${ctx.mode === 'rehearse' ? ':rehearse' : ''}`,
  );
}

export const jobUri = (facts: BatchFacts, name: string) => `s3://${facts.bucket_name}/${facts.jobs_prefix}/${name}/`;
const jobKey = (facts: BatchFacts, name: string, file: string) => `${facts.jobs_prefix}/${name}/${file}`;

const workerState = (status: JobStatus | undefined): Worker['state'] =>
  QUEUED.includes(status!) ? 'queued' : RUNNING.includes(status!) ? 'running' : 'ended';

/** The project's jobs in its queue, parents of arrays and plain jobs, in any status. */
async function projectJobs(client: BatchClient, facts: BatchFacts, project: string): Promise<JobSummary[]> {
  const { paginateListJobs } = await batchSdk();
  const jobs: JobSummary[] = [];
  const filters = [{ name: 'JOB_NAME', values: [`${project}-*`] }];
  for await (const page of paginateListJobs({ client, pageSize: PAGE_WITH_FILTER }, { jobQueue: facts.job_queue_arn, filters })) {
    jobs.push(...(page.jobSummaryList ?? []));
  }
  return jobs;
}

/** An array's manifest: the case and attempt of each index. */
async function readManifest(s3: S3Client, facts: BatchFacts, name: string): Promise<{ caseId: string; attempt: number }[]> {
  const { GetObjectCommand } = await s3Sdk();
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: facts.bucket_name, Key: jobKey(facts, name, 'manifest.txt') }));
  return ((await Body?.transformToString()) ?? '')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [caseId, attempt] = line.split(' ');
      return { caseId, attempt: Number(attempt) };
    });
}

/** The children of an array in the given statuses (SUCCEEDED children need no listing: their markers say it). */
async function arrayChildren(client: BatchClient, arrayJobId: string, statuses: JobStatus[]): Promise<JobSummary[]> {
  const { paginateListJobs } = await batchSdk();
  const children: JobSummary[] = [];
  for (const jobStatus of statuses) {
    for await (const page of paginateListJobs({ client, pageSize: PAGE_WITH_STATUS }, { arrayJobId, jobStatus })) {
      children.push(...(page.jobSummaryList ?? []));
    }
  }
  return children;
}

/** The statuses an array's children are in now, from each parent's status summary. */
async function childStatuses(client: BatchClient, parents: JobSummary[]): Promise<Map<string, JobStatus[]>> {
  const { DescribeJobsCommand } = await batchSdk();
  const statuses = new Map<string, JobStatus[]>();
  for (const ids of chunks(parents.map((p) => p.jobId!), DESCRIBE_AT_MOST)) {
    const { jobs } = await client.send(new DescribeJobsCommand({ jobs: ids }));
    for (const job of jobs ?? []) {
      const summary = job.arrayProperties?.statusSummary ?? {};
      statuses.set(job.jobId!, Object.entries(summary).filter(([status, n]) => n > 0 && status !== 'SUCCEEDED').map(([status]) => status as JobStatus));
    }
  }
  return statuses;
}

const since = (ms: number | undefined) => (ms ? { startedAt: new Date(ms) } : {});

async function arrayWorkers(batch: BatchClient, s3: S3Client, facts: BatchFacts, parents: JobSummary[]): Promise<Worker[]> {
  // A parent that succeeded: every child did, and their markers say so. Others: list the children not (yet) succeeded.
  const open = parents.filter((p) => p.status !== 'SUCCEEDED');
  const statuses = await childStatuses(batch, open);
  const workers: Worker[] = [];
  for (const parent of parents) {
    const manifest = await readManifest(s3, facts, parent.jobName!);
    const children = new Map((await arrayChildren(batch, parent.jobId!, statuses.get(parent.jobId!) ?? [])).map((c) => [c.arrayProperties?.index, c]));
    // A child not listed has succeeded; unless its parent has no children yet (it is still SUBMITTED) or shows no summary yet.
    const unlisted: Worker['state'] = parent.status === 'SUBMITTED' || (workerState(parent.status) !== 'ended' && !statuses.get(parent.jobId!)?.length) ? 'queued' : 'ended';
    manifest.forEach(({ caseId, attempt }, index) => {
      const child = children.get(index);
      workers.push({
        caseId,
        attempt,
        id: `${parent.jobId}:${index}`,
        job: parent.jobName,
        state: child ? workerState(child.status) : unlisted,
        ...since(child?.startedAt),
        ...(child?.statusReason && { reason: child.statusReason }),
      });
    });
  }
  return workers;
}

/** A file a job runs with, from the render folder; one that is missing has not been rendered. */
function renderedFile(renderFolder: string, file: string, what: string): string {
  if (existsSync(join(renderFolder, file))) return file;
  throw new Error(`${what} has not been rendered: ${join(renderFolder, file)} does not exist. Run workflow-render first (npx nx run infra:workflow-render).`);
}

/** job.tar.gz: the rendered runner and each case's case.env, from the render folder (absolute); reproducible bytes. */
export async function jobPack(renderFolder: string, cases: WorkflowCase[]): Promise<Buffer> {
  const files = [renderedFile(renderFolder, RUNNER_FILE, 'The case runner'), ...cases.map((c) => renderedFile(renderFolder, caseEnvFile(c.id), `Case ${c.id} (${c.label})`))];
  const parts: Buffer[] = [];
  for await (const chunk of create({ gzip: true, portable: true, mtime: new Date('2000-01-01T00:00:00Z'), cwd: renderFolder }, files)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

async function putJobFiles(ctx: EffectContext, s3: S3Client, plan: JobPlan): Promise<void> {
  const facts = batchFacts(ctx);
  const { PutObjectCommand } = await s3Sdk();
  const pack = await jobPack(join(ctx.workspaceRoot, paths.renderDir(ctx.mode, 'workflow')), plan.launches.map((l) => l.workflowCase));
  await s3.send(new PutObjectCommand({ Bucket: facts.bucket_name, Key: jobKey(facts, plan.name, 'job.tar.gz'), Body: pack, ContentType: 'application/gzip' }));
  // The manifest last: a job is submitted only once both are in place.
  await s3.send(
    new PutObjectCommand({ Bucket: facts.bucket_name, Key: jobKey(facts, plan.name, 'manifest.txt'), Body: manifestText(plan.launches), ContentType: 'text/plain' }),
  );
}

async function submit(ctx: EffectContext, batch: BatchClient, plan: JobPlan): Promise<string> {
  const facts = batchFacts(ctx);
  const definition = facts.job_definitions[plan.workflow];
  if (!definition) throw new Error(`The workflow stack has no job definition for workflow ${plan.workflow}: apply it again (npx nx run infra:workflow-apply).`);
  const { SubmitJobCommand } = await batchSdk();
  const study = plan.launches[0].workflowCase.study;
  const { jobId } = await batch.send(
    new SubmitJobCommand({
      jobName: plan.name,
      jobQueue: facts.job_queue_arn,
      jobDefinition: definition,
      ...(plan.launches.length > 1 && { arrayProperties: { size: plan.launches.length } }),
      containerOverrides: { environment: [{ name: 'PUSHBUTTON_JOB_URI', value: jobUri(facts, plan.name) }] },
      tags: { ...projectTags(ctx.settings.project), 'pushbutton:workflow': plan.workflow, ...(study && { 'pushbutton:study': study }) },
      propagateTags: true,
    }),
  );
  return jobId!;
}

function describeJob(plan: JobPlan): string {
  const first = plan.launches[0].workflowCase;
  return plan.launches.length > 1
    ? `array job ${plan.name} of ${count(plan.launches.length, 'case')} (${first.study ? `study ${first.study}` : `workflow ${plan.workflow}`})`
    : `job ${plan.name}: ${launchName(plan.launches[0])}`;
}

export const batchEngine: WorkflowEngine = {
  async workers(ctx) {
    const facts = batchFacts(ctx);
    const project = ctx.settings.project.name;
    const [batch, s3] = [await batchClient(ctx.region), await s3Client(ctx.region)];
    const jobs = await projectJobs(batch, facts, project);
    const single = SINGLE_JOB(project);
    const plain = jobs.flatMap((job): Worker[] => {
      const match = job.arrayProperties?.size ? null : single.exec(job.jobName ?? '');
      if (!match) return [];
      const reason = job.statusReason ? { reason: job.statusReason } : {};
      return [{ caseId: match[1], attempt: Number(match[2]), id: job.jobId!, job: job.jobName, state: workerState(job.status), ...since(job.startedAt), ...reason }];
    });
    return [...plain, ...(await arrayWorkers(batch, s3, facts, jobs.filter((job) => job.arrayProperties?.size)))];
  },

  async start(ctx, launches, ledger: Ledger) {
    const plans = planJobs(ctx.settings.project.name, launches);
    const submitted = new Set(ledger.workers.flatMap((w) => (w.job ? [w.job] : [])));
    const [batch, s3] = [await batchClient(ctx.region), await s3Client(ctx.region)];
    const started: Launch[] = [];
    for (const plan of plans) {
      if (submitted.has(plan.name)) {
        ctx.print(`Already in the queue: ${describeJob(plan)}.`);
      } else {
        await putJobFiles(ctx, s3, plan);
        const jobId = await submit(ctx, batch, plan);
        ctx.print(`Submitted ${describeJob(plan)} as ${jobId}.`);
      }
      started.push(...plan.launches);
    }
    return { started, pending: [], waiting: 0 } satisfies Started;
  },

  rehearse(ctx, launches) {
    const plans = planJobs(ctx.settings.project.name, launches);
    const arrays = plans.filter((p) => p.launches.length > 1).length;
    if (!plans.length) return;
    ctx.print(`Would submit ${count(launches.length, 'case')} to the Batch queue as ${count(plans.length, 'job')} (${count(arrays, 'array job')}):`);
    for (const plan of plans) ctx.print(`  ${describeJob(plan)}`);
    printLaunches(ctx, 'Cases:', launches);
  },

  async stopAll(ctx) {
    const facts = workflowFacts(ctx);
    if (!facts.job_queue_arn) return;
    const batch = await batchClient(ctx.region);
    const { TerminateJobCommand, paginateListJobs } = await batchSdk();
    const active = async () => {
      const jobs: JobSummary[] = [];
      for (const jobStatus of ACTIVE) {
        for await (const page of paginateListJobs({ client: batch, pageSize: PAGE_WITH_STATUS }, { jobQueue: facts.job_queue_arn, jobStatus })) {
          // An array's children go with their parent: terminating the parent cancels or terminates them.
          jobs.push(...(page.jobSummaryList ?? []).filter((job) => job.arrayProperties?.index === undefined));
        }
      }
      return jobs;
    };
    const jobs = await active();
    if (!jobs.length) {
      ctx.print('No Batch jobs are queued or running: nothing to stop.');
      return;
    }
    for (const job of jobs) {
      await batch.send(new TerminateJobCommand({ jobId: job.jobId!, reason: 'The workflow step is being destroyed (npx nx run infra:destroy)' }));
    }
    ctx.print(`Stopping ${count(jobs.length, 'Batch job')}: ${jobs.map((j) => j.jobName).slice(0, 20).join(', ')}${jobs.length > 20 ? ', …' : ''}.`);
    for (let attempt = 1; attempt <= WAIT_FOR_STOP.attempts; attempt++) {
      const left = await active();
      if (!left.length) {
        ctx.print(`Stopped ${count(jobs.length, 'Batch job')}.`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, WAIT_FOR_STOP.intervalMs));
    }
    throw new Error(`Batch jobs of queue ${facts.job_queue_arn} are still running after ${(WAIT_FOR_STOP.attempts * WAIT_FOR_STOP.intervalMs) / 60_000} minutes; destroy again once they end.`);
  },
};
