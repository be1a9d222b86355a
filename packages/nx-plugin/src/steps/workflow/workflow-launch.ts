// workflow-launch: one worker per configured case that has neither a live instance nor a
// result, at most launch.maxConcurrent at once. The case id is the launch's client token, so
// a re-run after a crash gets the earlier launch back from EC2 instead of a second worker.
// Workers upload their results and terminate themselves; the next provision starts the cases
// that waited for capacity.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { _InstanceType, EC2Client, Instance, InstanceStateName, RunInstancesCommand, Tag } from '@aws-sdk/client-ec2';
import type { S3Client } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProjectSettings } from '@pushbutton/stacks';
import { projectTags } from '@pushbutton/stacks/src/settings';
import { writeFileAtomic } from '../../fs-atomic';
import { paths } from '../../paths';
import type { Effect, EffectContext } from '../kinds';
import { caseResultsUrl as caseResultsUrlOf, expandCases, WorkflowCase, workflowSettings } from './cases';
import type { WorkflowFacts, WorkflowLaunchFacts } from './facts';
import { userDataFile } from './workflow-render';

/** The SDK's standard retry mode backs off on throttling (EC2's RequestLimitExceeded); eight attempts ride out a long burst. */
const MAX_ATTEMPTS = 8;

const CASE_ID_TAG = 'pushbutton:case-id';
const WORKFLOW_TAG = 'pushbutton:workflow';
const STUDY_TAG = 'pushbutton:study';

/** States in which a worker still holds (or is about to hold) a share of the concurrency cap. */
const LIVE_STATES: InstanceStateName[] = ['pending', 'running', 'stopping', 'shutting-down'];
/** Every state but terminated: a stopped worker still holds its network interface in the security group. */
const NOT_TERMINATED: InstanceStateName[] = [...LIVE_STATES, 'stopped'];

const MARKER_STATUSES = ['succeeded', 'failed', 'timed-out'] as const;
type MarkerStatus = (typeof MARKER_STATUSES)[number];

const TERMINATE_BATCH = 1000;
const WAIT_FOR_TERMINATION_SECONDS = 900;
/** Printed lists of cases or instances stop after this many and say how many more there are. */
const LISTED_AT_MOST = 20;

/** A case's completion marker, `<prefix>/<case id>/_pushbutton/<status>.json`. */
export type ResultMarker = { caseId: string; status: MarkerStatus; key: string; lastModified?: Date };

/**
 * A case EC2 would not start now for want of quota or capacity, not for anything wrong with it: it
 * waits like a case over the cap. `scope` is what else would fail the same way: every case (the
 * account's vCPU quota) or the cases of one instance type (capacity in the subnet's zone).
 */
type Blocked = { blocked: string; scope: string };
type LaunchOutcome = { instanceId: string } | { pending: string } | Blocked;

/** Every case: EC2's vCPU quota is the account's. */
const ALL_CASES = '*';

/**
 * Errors RunInstances answers when the account or zone cannot take the instance now
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 */
function blockedBy(error: Error, instanceType: string): Blocked | undefined {
  if (error.name === 'VcpuLimitExceeded') return { blocked: `the account's vCPU quota is reached (${error.message})`, scope: ALL_CASES };
  if (error.name === 'InsufficientInstanceCapacity') return { blocked: `EC2 has no ${instanceType} capacity now (${error.message})`, scope: instanceType };
  return undefined;
}

/**
 * Right after Terraform creates the worker's instance profile, EC2 may not see it yet (IAM is
 * eventually consistent) and answers InvalidParameterValue "... Invalid IAM Instance Profile name|ARN";
 * the SDK does not retry that. https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
 */
const isProfileNotVisibleYet = (error: Error) =>
  error.name === 'InvalidParameterValue' && /Invalid IAM Instance Profile|has no associated IAM Roles/i.test(error.message);

/** Attempts at a launch whose instance profile EC2 does not see yet: with the backoff below, up to about two minutes. */
const PROFILE_ATTEMPTS = 10;
const PROFILE_BACKOFF_MS = { base: 1_000, cap: 20_000 };

/** Full jitter, as the SDK backs off: random() × min(cap, base × 2^attempt). */
const backoff = (attempt: number) => sleep(Math.random() * Math.min(PROFILE_BACKOFF_MS.cap, PROFILE_BACKOFF_MS.base * 2 ** attempt));

/** Sends a RunInstances, again while EC2 does not see the new instance profile yet. */
async function runInstances(client: EC2Client, command: RunInstancesCommand, print: (line: string) => void) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.send(command);
    } catch (error) {
      if (!(error instanceof Error && isProfileNotVisibleYet(error)) || attempt === PROFILE_ATTEMPTS) throw error;
      if (attempt === 1) print('EC2 does not see the workers\' instance profile yet (IAM takes a while to propagate); trying again.');
      await backoff(attempt);
    }
  }
}

// The EC2 and S3 SDKs load when a call needs them: about 0.4 s that the other effects' tasks,
// which load this module too, need not pay. (Package imports: no transpiler is needed for them.)
export const ec2Sdk = () => import('@aws-sdk/client-ec2');
export const s3Sdk = () => import('@aws-sdk/client-s3');

export const ec2Client = async (region: string) => new (await ec2Sdk()).EC2Client({ region, maxAttempts: MAX_ATTEMPTS });
export const s3Client = async (region: string) => new (await s3Sdk()).S3Client({ region, maxAttempts: MAX_ATTEMPTS });

export const workflowFacts = (ctx: EffectContext) => ctx.facts['workflow'] as WorkflowFacts;

export const caseResultsUrl = (facts: WorkflowFacts, caseId: string) => caseResultsUrlOf(facts.bucket_name, facts.results_prefix, caseId);

export const caseIdOf = (instance: Instance) => instance.Tags?.find((tag) => tag.Key === CASE_ID_TAG)?.Value;

/** The project's workers (instances tagged with a case id), in the given states or all. */
export async function workerInstances(client: EC2Client, project: string, states?: InstanceStateName[]): Promise<Instance[]> {
  const Filters = [
    { Name: 'tag:Project', Values: [project] },
    { Name: 'tag-key', Values: [CASE_ID_TAG] },
    ...(states ? [{ Name: 'instance-state-name', Values: states }] : []),
  ];
  const { paginateDescribeInstances } = await ec2Sdk();
  const instances: Instance[] = [];
  for await (const page of paginateDescribeInstances({ client, pageSize: 1000 }, { Filters })) {
    for (const reservation of page.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
  }
  return instances;
}

/** The marker a key names, if it is one: `<case id>/_pushbutton/<status>.json` under the prefix. */
function markerOf(keyPrefix: string, key: string, lastModified: Date | undefined): ResultMarker | undefined {
  if (!key.startsWith(keyPrefix)) return undefined;
  const [caseId, folder, file, ...rest] = key.slice(keyPrefix.length).split('/');
  const status = MARKER_STATUSES.find((s) => file === `${s}.json`);
  if (!caseId || folder !== '_pushbutton' || !status || rest.length) return undefined;
  return { caseId, status, key, lastModified };
}

/** Every completion marker in the results bucket, by case id; the newest if a case has more than one. */
export async function resultMarkers(client: S3Client, facts: WorkflowFacts): Promise<Map<string, ResultMarker>> {
  const keyPrefix = `${facts.results_prefix}/`;
  const markers = new Map<string, ResultMarker>();
  const { paginateListObjectsV2 } = await s3Sdk();
  for await (const page of paginateListObjectsV2({ client }, { Bucket: facts.bucket_name, Prefix: keyPrefix })) {
    for (const object of page.Contents ?? []) {
      const marker = object.Key && markerOf(keyPrefix, object.Key, object.LastModified);
      const known = marker && markers.get(marker.caseId);
      if (marker && (!known || (marker.lastModified ?? 0) > (known.lastModified ?? 0))) markers.set(marker.caseId, marker);
    }
  }
  return markers;
}

export const plannedCasesFile = (workspaceRoot: string) => join(workspaceRoot, paths.workDir('rehearse', 'workflow-launch'), 'planned-cases.json');

/** The case ids earlier rehearsals planned: the rehearsal's stand-in for instances and results. */
export function readPlannedCases(workspaceRoot: string): Set<string> {
  try {
    return new Set(JSON.parse(readFileSync(plannedCasesFile(workspaceRoot), 'utf8')) as string[]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw error;
  }
}

/** EC2 allows at most 255 characters in a tag value; cut by code point so no character is split. */
const tagValue = (value: string) => Array.from(value).slice(0, 255).join('');

function workerTags(project: ProjectSettings, workflowCase: WorkflowCase): Tag[] {
  const tags: Record<string, string> = {
    ...projectTags(project),
    Name: tagValue(`${project.name}-${workflowCase.label}`),
    [CASE_ID_TAG]: workflowCase.id,
    [WORKFLOW_TAG]: workflowCase.workflow,
    ...(workflowCase.study && { [STUDY_TAG]: workflowCase.study }),
  };
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** The case's rendered cloud-init user-data, base64 as RunInstances takes it. */
function renderedUserData(ctx: EffectContext, workflowCase: WorkflowCase): string {
  const file = join(paths.renderDir(ctx.mode, 'workflow'), userDataFile(workflowCase.id));
  try {
    return readFileSync(join(ctx.workspaceRoot, file)).toString('base64');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new Error(
      `Case ${workflowCase.id} (${workflowCase.label}) has no rendered user-data: ${file} does not exist. ` +
        `Run workflow-render first (npx nx run infra:workflow-render).`,
    );
  }
}

const cannotRelaunch = (workflowCase: WorkflowCase, why: string) =>
  `case ${workflowCase.id} (${workflowCase.label}): ${why}. It cannot be relaunched under the same id until EC2 forgets ` +
  `its client token (at least 24 hours after that instance terminated); see it with npx nx run infra:status`;

const instanceTypeOf = (ctx: EffectContext, workflowCase: WorkflowCase) => workflowSettings(ctx.settings).workflows[workflowCase.workflow].instanceType;

async function launchCase(client: EC2Client, ctx: EffectContext, workflowCase: WorkflowCase, userData: string): Promise<LaunchOutcome> {
  const tags = workerTags(ctx.settings.project, workflowCase);
  const { RunInstancesCommand } = await ec2Sdk();
  const command = new RunInstancesCommand({
    LaunchTemplate: { LaunchTemplateId: workflowFacts(ctx).launch_template_id, Version: '$Latest' },
    InstanceType: instanceTypeOf(ctx, workflowCase) as _InstanceType,
    MinCount: 1,
    MaxCount: 1,
    UserData: userData,
    ClientToken: workflowCase.id,
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
  });
  try {
    const instance = (await runInstances(client, command, ctx.print)).Instances?.[0];
    if (!instance?.InstanceId) throw new Error(`EC2 returned no instance for case ${workflowCase.id}.`);
    if (instance.State?.Name === 'terminated') {
      return { pending: cannotRelaunch(workflowCase, `its earlier instance ${instance.InstanceId} ended without a result`) };
    }
    return { instanceId: instance.InstanceId };
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    const blocked = blockedBy(error, instanceTypeOf(ctx, workflowCase));
    if (blocked) return blocked;
    if (error.name !== 'IdempotentParameterMismatch') throw error;
    return { pending: cannotRelaunch(workflowCase, 'an earlier launch of it used the same client token with other launch parameters') };
  }
}

function atMostListed(items: string[]): string[] {
  const listed = items.slice(0, LISTED_AT_MOST);
  return items.length > LISTED_AT_MOST ? [...listed, `and ${items.length - LISTED_AT_MOST} more`] : listed;
}

/** A heading and the cases under it; nothing for no cases. */
function printGroup(ctx: EffectContext, heading: string, cases: WorkflowCase[]): void {
  if (!cases.length) return;
  ctx.print(heading);
  for (const line of atMostListed(cases.map((c) => `${c.id} (${c.label})`))) ctx.print(`  ${line}`);
}

const chunks = <T>(items: T[], size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

const workflowLaunch: Effect = {
  async apply(ctx) {
    const workflows = workflowSettings(ctx.settings);
    const cases = expandCases(workflows);
    const ec2 = await ec2Client(ctx.region);
    const [live, markers] = await Promise.all([
      workerInstances(ec2, ctx.settings.project.name, LIVE_STATES),
      resultMarkers(await s3Client(ctx.region), workflowFacts(ctx)),
    ]);
    const liveCases = new Set(live.map(caseIdOf));
    const remaining = cases.filter((c) => !liveCases.has(c.id) && !markers.has(c.id));
    const cap = workflows.launch.maxConcurrent;
    const startNow = remaining.slice(0, Math.max(0, cap - live.length));
    // Read every user-data first, so a case that was not rendered stops the run before anything launches.
    const userData = startNow.map((c) => renderedUserData(ctx, c));

    const launched: string[] = [];
    const pending: string[] = [];
    /** Why cases wait although under the cap, by scope (an instance type, or every case). */
    const blocked = new Map<string, string>();
    const held = new Map<string, number>();
    for (const [i, workflowCase] of startNow.entries()) {
      const reason = blocked.get(ALL_CASES) ?? blocked.get(instanceTypeOf(ctx, workflowCase));
      const outcome = reason ? { blocked: reason, scope: '' } : await launchCase(ec2, ctx, workflowCase, userData[i]);
      if ('blocked' in outcome) {
        if (outcome.scope) blocked.set(outcome.scope, outcome.blocked);
        held.set(outcome.blocked, (held.get(outcome.blocked) ?? 0) + 1);
        continue;
      }
      if ('pending' in outcome) {
        pending.push(outcome.pending);
        continue;
      }
      launched.push(workflowCase.id);
      ctx.print(`Launched ${workflowCase.id} (${workflowCase.label}) as ${outcome.instanceId}`);
    }
    for (const [reason, count] of held) pending.push(`${count} cases wait because ${reason}: the next provision tries them again`);
    const overCap = remaining.length - startNow.length;
    if (overCap) pending.push(`${overCap} cases wait for capacity (maxConcurrent ${cap}): the next provision starts them`);
    const waiting = overCap + [...held.values()].reduce((sum, n) => sum + n, 0);

    const facts: WorkflowLaunchFacts = {
      cases: cases.length,
      launched,
      running: live.length + launched.length,
      finished: cases.filter((c) => markers.has(c.id)).length,
      waiting,
    };
    ctx.print(`${facts.cases} cases: launched ${launched.length}, running ${facts.running}, with results ${facts.finished}, waiting ${waiting}.`);
    return { facts, pending };
  },

  rehearse(ctx) {
    const workflows = workflowSettings(ctx.settings);
    const cases = expandCases(workflows);
    const planned = readPlannedCases(ctx.workspaceRoot);
    const fresh = cases.filter((c) => !planned.has(c.id));
    const cap = workflows.launch.maxConcurrent;
    const startNow = fresh.slice(0, cap);
    const waiting = fresh.slice(cap);

    if (!startNow.length) ctx.print('No new case would start: every case was planned by an earlier rehearsal.');
    printGroup(ctx, `Would start ${startNow.length} cases now (maxConcurrent ${cap}):`, startNow);
    printGroup(ctx, `${waiting.length} cases would wait for capacity: the next provision would start them.`, waiting);
    printGroup(ctx, `${cases.length - fresh.length} cases were already planned by an earlier rehearsal:`, cases.filter((c) => planned.has(c.id)));
    const record = [...new Set([...planned, ...cases.map((c) => c.id)])].sort();
    writeFileAtomic(plannedCasesFile(ctx.workspaceRoot), `${JSON.stringify(record, null, 2)}\n`);

    const facts: WorkflowLaunchFacts = { cases: cases.length, launched: startNow.map((c) => c.id), running: 0, finished: 0, waiting: waiting.length };
    return { facts, pending: [] };
  },

  stateParts(ctx) {
    return ctx.mode === 'rehearse' ? { files: [relative(ctx.workspaceRoot, plannedCasesFile(ctx.workspaceRoot))] } : {};
  },

  // Workers still shutting down would make the stack's teardown fail on their security group and instance profile.
  async destroy(ctx) {
    const client = await ec2Client(ctx.region);
    const project = ctx.settings.project.name;
    const ids = (await workerInstances(client, project, NOT_TERMINATED)).flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
    if (!ids.length) {
      ctx.print(`No workers of project ${project} are left: nothing to terminate.`);
      return;
    }
    const batches = chunks(ids, TERMINATE_BATCH);
    const { TerminateInstancesCommand, waitUntilInstanceTerminated } = await ec2Sdk();
    for (const InstanceIds of batches) await client.send(new TerminateInstancesCommand({ InstanceIds }));
    ctx.print(`Terminating ${ids.length} workers: ${atMostListed(ids).join(', ')}.`);
    await Promise.all(
      batches.map((InstanceIds) => waitUntilInstanceTerminated({ client, maxWaitTime: WAIT_FOR_TERMINATION_SECONDS }, { InstanceIds })),
    );
    ctx.print(`Terminated ${ids.length} workers.`);
  },
};

export default workflowLaunch;
