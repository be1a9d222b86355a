// The EC2 engine: one plain VM per attempt at a case, at most launch.maxConcurrent at once, booted
// with the case's rendered cloud-init user-data. `<case id>-a<attempt>` is the launch's client
// token, so a re-run after a crash gets the earlier launch back from EC2 instead of a second worker,
// and a retry (a new attempt) is a new launch.
import type { _InstanceType, EC2Client, Instance, InstanceStateName, RunInstancesCommand, Tag } from '@aws-sdk/client-ec2';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectTags } from '@pushbutton/stacks/src/settings';
import type { EffectContext } from '../kinds';
import { workflowSettings } from './cases';
import { atMostListed, chunks, Launch, launchName, printLaunches, Started, WorkflowEngine } from './engine';
import type { Worker } from './ledger';
import { MAX_ATTEMPTS, workflowFacts } from './results';
import { caseUserData } from './workflow-render';

export const CASE_ID_TAG = 'pushbutton:case-id';
export const ATTEMPT_TAG = 'pushbutton:attempt';
const WORKFLOW_TAG = 'pushbutton:workflow';
const STUDY_TAG = 'pushbutton:study';

/** States in which a worker still holds (or is about to hold) a share of the concurrency cap. */
const LIVE_STATES: InstanceStateName[] = ['pending', 'running', 'stopping', 'shutting-down'];
/** Every state but terminated: a stopped worker still holds its network interface in the security group. */
const NOT_TERMINATED: InstanceStateName[] = [...LIVE_STATES, 'stopped'];

const TERMINATE_BATCH = 1000;
const WAIT_FOR_TERMINATION_SECONDS = 900;

// The EC2 SDK loads when a call needs it: about 0.4 s that tasks not calling EC2 need not pay.
export const ec2Sdk = () => import('@aws-sdk/client-ec2');
export const ec2Client = async (region: string) => new (await ec2Sdk()).EC2Client({ region, maxAttempts: MAX_ATTEMPTS });

/** A launch's client token: at most 64 ASCII characters (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html). */
export const clientToken = ({ workflowCase, attempt }: Launch) => `${workflowCase.id}-a${attempt}`;

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

const tagOf = (instance: Instance, key: string) => instance.Tags?.find((tag) => tag.Key === key)?.Value;

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

/** An instance as a worker; one launched before attempts were numbered is attempt 1. */
function workerOf(instance: Instance): Worker | undefined {
  const caseId = tagOf(instance, CASE_ID_TAG);
  if (!caseId || !instance.InstanceId) return undefined;
  const live = LIVE_STATES.includes(instance.State?.Name as InstanceStateName);
  return {
    caseId,
    attempt: Number(tagOf(instance, ATTEMPT_TAG) ?? 1) || 1,
    id: instance.InstanceId,
    state: live ? 'running' : 'ended',
    ...(instance.LaunchTime && { startedAt: new Date(instance.LaunchTime) }),
    ...(!live && instance.StateReason?.Message && { reason: instance.StateReason.Message }),
  };
}

/** EC2 allows at most 255 characters in a tag value; cut by code point so no character is split. */
const tagValue = (value: string) => Array.from(value).slice(0, 255).join('');

function workerTags(ctx: EffectContext, { workflowCase, attempt }: Launch): Tag[] {
  const project = ctx.settings.project;
  const tags: Record<string, string> = {
    ...projectTags(project),
    Name: tagValue(`${project.name}-${workflowCase.label}`),
    [CASE_ID_TAG]: workflowCase.id,
    [ATTEMPT_TAG]: String(attempt),
    [WORKFLOW_TAG]: workflowCase.workflow,
    ...(workflowCase.study && { [STUDY_TAG]: workflowCase.study }),
  };
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

const cannotRelaunch = (launch: Launch, why: string) =>
  `case ${launchName(launch)}: ${why}. Start it again as a new attempt: npx nx run infra:retry --case ${launch.workflowCase.id}`;

const instanceTypeOf = (ctx: EffectContext, launch: Launch) => workflowSettings(ctx.settings).workflows[launch.workflowCase.workflow].instanceType;

async function launchCase(client: EC2Client, ctx: EffectContext, launch: Launch, userData: string): Promise<LaunchOutcome> {
  const tags = workerTags(ctx, launch);
  const { RunInstancesCommand } = await ec2Sdk();
  const command = new RunInstancesCommand({
    LaunchTemplate: { LaunchTemplateId: workflowFacts(ctx).launch_template_id, Version: '$Latest' },
    InstanceType: instanceTypeOf(ctx, launch) as _InstanceType,
    MinCount: 1,
    MaxCount: 1,
    UserData: userData,
    ClientToken: clientToken(launch),
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
  });
  try {
    const instance = (await runInstances(client, command, ctx.print)).Instances?.[0];
    if (!instance?.InstanceId) throw new Error(`EC2 returned no instance for case ${launch.workflowCase.id}.`);
    if (instance.State?.Name === 'terminated') {
      return { pending: cannotRelaunch(launch, `this attempt's instance ${instance.InstanceId} ended without a result`) };
    }
    return { instanceId: instance.InstanceId };
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    const blocked = blockedBy(error, instanceTypeOf(ctx, launch));
    if (blocked) return blocked;
    if (error.name !== 'IdempotentParameterMismatch') throw error;
    return { pending: cannotRelaunch(launch, 'an earlier launch of this attempt used the same client token with other launch parameters') };
  }
}

export const ec2Engine: WorkflowEngine = {
  async workers(ctx) {
    const instances = await workerInstances(await ec2Client(ctx.region), ctx.settings.project.name);
    return instances.flatMap((instance) => workerOf(instance) ?? []);
  },

  async start(ctx, launches, ledger, later) {
    const cap = workflowSettings(ctx.settings).launch.maxConcurrent;
    // Workers of cases no longer in config hold their share of the cap too.
    const live = ledger.workers.filter((w) => w.state !== 'ended').length;
    const startNow = launches.slice(0, Math.max(0, cap - live));
    // Every user-data first, so a case that was not rendered stops the run before anything launches.
    const userData = startNow.map((launch) => caseUserData(ctx, launch.workflowCase, launch.attempt).toString('base64'));

    const ec2 = await ec2Client(ctx.region);
    const started: Launch[] = [];
    const pending: string[] = [];
    /** Why cases wait although under the cap, by scope (an instance type, or every case). */
    const blocked = new Map<string, string>();
    const held = new Map<string, number>();
    for (const [i, launch] of startNow.entries()) {
      const reason = blocked.get(ALL_CASES) ?? blocked.get(instanceTypeOf(ctx, launch));
      const outcome = reason ? { blocked: reason, scope: '' } : await launchCase(ec2, ctx, launch, userData[i]);
      if ('blocked' in outcome) {
        if (outcome.scope) blocked.set(outcome.scope, outcome.blocked);
        held.set(outcome.blocked, (held.get(outcome.blocked) ?? 0) + 1);
      } else if ('pending' in outcome) {
        pending.push(outcome.pending);
      } else {
        started.push(launch);
        ctx.print(`Launched ${launchName(launch)} as ${outcome.instanceId}`);
      }
    }
    for (const [reason, count] of held) pending.push(`${count} cases wait because ${reason}: ${later} tries them again`);
    const overCap = launches.length - startNow.length;
    if (overCap) pending.push(`${overCap} cases wait for capacity (maxConcurrent ${cap}): ${later} starts them`);
    return { started, pending, waiting: overCap + [...held.values()].reduce((sum, n) => sum + n, 0) } satisfies Started;
  },

  rehearse(ctx, launches) {
    const cap = workflowSettings(ctx.settings).launch.maxConcurrent;
    printLaunches(ctx, `Would start ${Math.min(cap, launches.length)} cases now, one EC2 worker each (maxConcurrent ${cap}):`, launches.slice(0, cap));
    printLaunches(ctx, `${Math.max(0, launches.length - cap)} cases would wait for capacity: the next provision would start them.`, launches.slice(cap));
  },

  // Workers still shutting down would make the stack's teardown fail on their security group and instance profile.
  async stopAll(ctx) {
    const client = await ec2Client(ctx.region);
    const project = ctx.settings.project.name;
    const ids = (await workerInstances(client, project, NOT_TERMINATED)).flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
    if (!ids.length) {
      ctx.print(`No EC2 workers of project ${project} are left: nothing to terminate.`);
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
