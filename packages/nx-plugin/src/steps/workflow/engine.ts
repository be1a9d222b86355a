// What a workflow engine does for the workflow step: show its workers, start attempts at cases,
// and stop everything before the stack goes. Two engines: AWS Batch (a queue) and EC2 (a VM per
// case); config's launch.engine chooses.
import type { Engine } from '@pushbutton/stacks/src/workflow/settings';
import type { EffectContext } from '../kinds';
import { expandCases, WorkflowCase, workflowSettings } from './cases';
import { CaseRecord, caseRecords, Worker } from './ledger';
import { resultMarkers, ResultMarker, s3Client, workflowFacts } from './results';

/** One attempt to start: attempt 1 of a new case, or the next attempt of one that failed. */
export interface Launch {
  workflowCase: WorkflowCase;
  attempt: number;
}

export interface Started {
  /** The attempts started now (or found already started: a re-run after a crash). */
  started: Launch[];
  /** What could not start yet and why; the next run tries again. */
  pending: string[];
  /** How many of the launches wait (capacity, quota). */
  waiting: number;
}

export interface WorkflowEngine {
  /** The project's workers AWS still shows, one per attempt. */
  workers(ctx: EffectContext): Promise<Worker[]>;
  /** Starts the launches; `later` names what starts those that must wait (e.g. "the next provision"). */
  start(ctx: EffectContext, launches: Launch[], ledger: Ledger, later: string): Promise<Started>;
  /** Prints what start would do, without calling AWS. */
  rehearse(ctx: EffectContext, launches: Launch[]): void;
  /** Stops the project's queued and running work, and waits until it has stopped. */
  stopAll(ctx: EffectContext): Promise<void>;
}

export const engineName = (ctx: EffectContext): Engine => workflowSettings(ctx.settings).launch.engine;

export interface Ledger {
  cases: WorkflowCase[];
  workers: Worker[];
  markers: Map<string, ResultMarker[]>;
  records: CaseRecord[];
}

/** Every configured case with its attempts, read from the engine and the results bucket. */
export async function readLedger(ctx: EffectContext, engine: WorkflowEngine): Promise<Ledger> {
  const cases = expandCases(workflowSettings(ctx.settings));
  const facts = workflowFacts(ctx);
  const [workers, markers] = await Promise.all([engine.workers(ctx), resultMarkers(await s3Client(ctx.region), facts)]);
  return { cases, workers, markers, records: caseRecords(cases, workers, markers, facts) };
}

/** Printed lists of cases or workers stop after this many and say how many more there are. */
const LISTED_AT_MOST = 20;

export function atMostListed(items: string[]): string[] {
  const listed = items.slice(0, LISTED_AT_MOST);
  return items.length > LISTED_AT_MOST ? [...listed, `and ${items.length - LISTED_AT_MOST} more`] : listed;
}

export const launchName = ({ workflowCase, attempt }: Launch) =>
  `${workflowCase.id} (${workflowCase.label})${attempt > 1 ? `, attempt ${attempt}` : ''}`;

/** A heading and the launches under it; nothing for none. */
export function printLaunches(ctx: EffectContext, heading: string, launches: Launch[]): void {
  if (!launches.length) return;
  ctx.print(heading);
  for (const line of atMostListed(launches.map(launchName))) ctx.print(`  ${line}`);
}

export const chunks = <T>(items: T[], size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
