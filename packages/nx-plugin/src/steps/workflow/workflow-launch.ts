// workflow-launch: starts every configured case that has never started, on the configured engine
// (launch.engine): AWS Batch queues them all at once; EC2 starts one worker each, at most
// launch.maxConcurrent at once, and the next provision starts those that waited. What has
// started is read from AWS (the engine's workers, the bucket's markers), never from a local file,
// so a re-run starts nothing twice. Failed cases run again only when asked: npx nx run infra:retry.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../../fs-atomic';
import { paths } from '../../paths';
import type { Effect, EffectContext } from '../kinds';
import { batchEngine } from './batch-engine';
import { expandCases, workflowSettings } from './cases';
import { ec2Engine } from './ec2-engine';
import { engineName, Launch, printLaunches, readLedger } from './engine';
import { engineOf } from './engines';
import type { WorkflowLaunchFacts } from './facts';
import { isLive, latestAttempt } from './ledger';

export const plannedCasesFile = (workspaceRoot: string) => join(workspaceRoot, paths.workDir('rehearse', 'workflow-launch'), 'planned-cases.json');

/** The case ids earlier rehearsals planned: the rehearsal's stand-in for AWS's workers and results. */
export function readPlannedCases(workspaceRoot: string): Set<string> {
  try {
    return new Set(JSON.parse(readFileSync(plannedCasesFile(workspaceRoot), 'utf8')) as string[]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw error;
  }
}

function summary(ctx: EffectContext, facts: WorkflowLaunchFacts): void {
  ctx.print(`${facts.cases} cases on ${facts.engine}: started now ${facts.launched.length}, queued or running ${facts.running}, with results ${facts.finished}, waiting ${facts.waiting}.`);
}

const workflowLaunch: Effect = {
  async apply(ctx) {
    const engine = engineOf(engineName(ctx));
    const ledger = await readLedger(ctx, engine);
    const fresh: Launch[] = ledger.records.filter((r) => !r.attempts.length).map((r) => ({ workflowCase: r.workflowCase, attempt: 1 }));
    const started = await engine.start(ctx, fresh, ledger, 'the next provision');
    const startedIds = new Set(started.started.map((l) => l.workflowCase.id));
    const facts: WorkflowLaunchFacts = {
      engine: engineName(ctx),
      cases: ledger.records.length,
      launched: [...startedIds],
      running: ledger.records.filter((r) => isLive(r) || startedIds.has(r.workflowCase.id)).length,
      finished: ledger.records.filter((r) => ['succeeded', 'failed', 'timed-out'].includes(latestAttempt(r)?.state ?? '')).length,
      waiting: started.waiting,
    };
    summary(ctx, facts);
    const lost = ledger.records.filter((r) => latestAttempt(r)?.state === 'lost').length;
    if (lost) {
      ctx.print(`${lost} case${lost === 1 ? '' : 's'} ended without a result (lost); run ${lost === 1 ? 'it' : 'them'} again with npx nx run infra:retry --failed, and see why with npx nx run infra:status.`);
    }
    return { facts, pending: started.pending };
  },

  rehearse(ctx) {
    const cases = expandCases(workflowSettings(ctx.settings));
    const planned = readPlannedCases(ctx.workspaceRoot);
    const fresh = cases.filter((c) => !planned.has(c.id)).map((workflowCase) => ({ workflowCase, attempt: 1 }));
    if (!fresh.length) ctx.print('No new case would start: every case was planned by an earlier rehearsal.');
    engineOf(engineName(ctx)).rehearse(ctx, fresh);
    printLaunches(ctx, `${cases.length - fresh.length} cases were already planned by an earlier rehearsal:`, cases.filter((c) => planned.has(c.id)).map((workflowCase) => ({ workflowCase, attempt: 1 })));
    const record = [...new Set([...planned, ...cases.map((c) => c.id)])].sort();
    writeFileAtomic(plannedCasesFile(ctx.workspaceRoot), `${JSON.stringify(record, null, 2)}\n`);

    const cap = engineName(ctx) === 'ec2' ? workflowSettings(ctx.settings).launch.maxConcurrent : fresh.length;
    const facts: WorkflowLaunchFacts = {
      engine: engineName(ctx),
      cases: cases.length,
      launched: fresh.slice(0, cap).map((l) => l.workflowCase.id),
      running: 0,
      finished: 0,
      waiting: Math.max(0, fresh.length - cap),
    };
    return { facts, pending: [] };
  },

  stateParts(ctx) {
    return ctx.mode === 'rehearse' ? { files: [relative(ctx.workspaceRoot, plannedCasesFile(ctx.workspaceRoot))] } : {};
  },

  // Work still running would make the stack's teardown fail (EC2 workers hold the security group and
  // instance profile) or end without a word (Terraform deleting a queue with jobs). Both engines are
  // stopped: a step whose engine changed may have work on the other.
  async destroy(ctx) {
    await batchEngine.stopAll(ctx);
    await ec2Engine.stopAll(ctx);
  },
};

export default workflowLaunch;
