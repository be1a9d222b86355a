// status: the case ledger. Every configured case with its newest attempt (and, in JSON, all of
// them), read from the engine's workers (Batch jobs or EC2 instances) and the results bucket's
// completion markers, never from a local file: what AWS shows is the truth for any checkout, and
// cases finish while nobody is watching.
import type { S3Client } from '@aws-sdk/client-s3';
import { isoSeconds, table } from '../../format';
import type { Command, EffectContext } from '../kinds';
import { expandCases, overridesText, WorkflowCase, workflowSettings } from './cases';
import { engineName, Ledger, readLedger } from './engine';
import type { WorkflowFacts } from './facts';
import { engineOf } from './engines';
import { CaseAttempt, CaseRecord, latestAttempt, strays } from './ledger';
import { markerTimes, MarkerTimes, s3Client, workflowFacts } from './results';
import { readPlannedCases } from './workflow-launch';

const HEADERS = ['case', 'workflow', 'parameters', 'attempt', 'worker', 'state', 'started', 'finished', 'results'];
const NOT_STARTED = 'not started';
/** How many marker files are fetched at once, for attempts whose worker the engine has forgotten. */
const MARKER_FETCHES_AT_ONCE = 16;

/** One attempt in the ledger's JSON. */
export interface AttemptEntry {
  attempt: number;
  state: string;
  /** The EC2 instance or Batch job it ran on. */
  worker: string | null;
  /** Why it ended, as the engine says, when it ended without a result. */
  reason: string | null;
  started: string | null;
  finished: string | null;
  results: string;
  /** The runner's log, once the attempt has ended. */
  log: string | null;
}

/** One row of the ledger; also its JSON, key for key, with every attempt. */
export interface LedgerEntry extends Omit<AttemptEntry, 'attempt'> {
  case: string;
  label: string;
  workflow: string;
  study: string | null;
  parameters: Record<string, unknown>;
  attempt: number | null;
  attempts: AttemptEntry[];
}

function isoTime(value: Date | string | undefined): string | undefined {
  const date = value === undefined ? undefined : new Date(value);
  return date && !Number.isNaN(date.getTime()) ? isoSeconds(date) : undefined;
}

function attemptEntry(attempt: CaseAttempt, times: MarkerTimes): AttemptEntry {
  const ended = !['queued', 'running'].includes(attempt.state);
  return {
    attempt: attempt.attempt,
    state: attempt.state,
    worker: attempt.worker?.id ?? null,
    reason: attempt.state === 'lost' ? (attempt.worker?.reason ?? 'ended without a result') : null,
    started: isoTime(attempt.worker?.startedAt) ?? isoTime(times.startedAt) ?? null,
    finished: attempt.marker ? (isoTime(times.finishedAt) ?? isoTime(attempt.marker.lastModified) ?? null) : null,
    results: attempt.results,
    log: ended && attempt.marker ? `${attempt.results}logs/run-case.log` : null,
  };
}

function entry(workflowCase: WorkflowCase, attempts: AttemptEntry[], results: string): LedgerEntry {
  const latest = attempts.at(-1);
  return {
    case: workflowCase.id,
    label: workflowCase.label,
    workflow: workflowCase.workflow,
    study: workflowCase.study ?? null,
    parameters: workflowCase.overrides,
    attempt: latest?.attempt ?? null,
    state: latest?.state ?? NOT_STARTED,
    worker: latest?.worker ?? null,
    reason: latest?.reason ?? null,
    started: latest?.started ?? null,
    finished: latest?.finished ?? null,
    results: latest?.results ?? results,
    log: latest?.log ?? null,
    attempts,
  };
}

async function mapConcurrently<T, R>(items: T[], atOnce: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await map(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(atOnce, items.length) }, worker));
  return results;
}

/** A case's entry; only an attempt whose worker the engine no longer shows needs its marker read for times. */
async function recordEntry(s3: S3Client, bucket: string, record: CaseRecord, caseResults: string): Promise<LedgerEntry> {
  const attempts = await Promise.all(
    record.attempts.map(async (attempt) => {
      const latest = attempt === latestAttempt(record);
      const times = attempt.marker && latest && !attempt.worker?.startedAt ? await markerTimes(s3, bucket, attempt.marker) : {};
      return attemptEntry(attempt, times);
    }),
  );
  return entry(record.workflowCase, attempts, caseResults);
}

/** `5 cases: 2 running, 1 succeeded, 2 not started`, states in the order they first appear. */
function stateCounts(entries: LedgerEntry[]): string {
  const counts = new Map<string, number>();
  for (const { state } of entries) counts.set(state, (counts.get(state) ?? 0) + 1);
  const byState = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  return `${entries.length} cases${byState ? `: ${byState}` : ''}`;
}

/** A line per study, then one for the single cases, with their counts by state. */
function groupCounts(entries: LedgerEntry[]): string[] {
  const groups = new Map<string, LedgerEntry[]>();
  for (const e of entries) {
    const group = e.study ? `study ${e.study}` : 'single cases';
    groups.set(group, [...(groups.get(group) ?? []), e]);
  }
  return [...groups].map(([group, members]) => `${group}: ${stateCounts(members)}`);
}

function ledgerTable(entries: LedgerEntry[]): string {
  const rows = entries.map((e) => [
    e.case,
    e.workflow,
    overridesText(e.parameters) || '-',
    e.attempt ?? '-',
    e.worker ?? '-',
    e.reason ? `${e.state} (${e.reason})` : e.state,
    e.started ?? '-',
    e.finished ?? '-',
    e.results,
  ].map(String));
  return table(HEADERS, rows);
}

/** Every configured case's entry, from the engine and the bucket: what status prints and the study report draws. */
export async function ledgerEntries(ctx: EffectContext): Promise<{ entries: LedgerEntry[]; ledger: Ledger }> {
  const facts = workflowFacts(ctx);
  const ledger = await readLedger(ctx, engineOf(engineName(ctx)));
  const s3 = await s3Client(ctx.region);
  const entries = await mapConcurrently(ledger.records, MARKER_FETCHES_AT_ONCE, (r) => recordEntry(s3, facts.bucket_name, r, caseResults(facts, r.workflowCase)));
  return { entries, ledger };
}

/** What a rehearsal knows of each case: whether an earlier rehearsal planned it. */
export function rehearsedEntries(ctx: EffectContext): LedgerEntry[] {
  const facts = workflowFacts(ctx);
  const planned = readPlannedCases(ctx.workspaceRoot);
  return expandCases(workflowSettings(ctx.settings)).map((c) => ({
    ...entry(c, [], caseResults(facts, c)),
    state: planned.has(c.id) ? 'planned (rehearsal)' : 'not planned',
  }));
}

const caseResults = (facts: WorkflowFacts, c: WorkflowCase) => `s3://${facts.bucket_name}/${facts.results_prefix}/${c.id}/`;

const status: Command = {
  options: ['json'],

  async run(ctx, { json }) {
    const facts = workflowFacts(ctx);
    const { entries, ledger } = await ledgerEntries(ctx);
    if (json) return JSON.stringify(entries, null, 2);

    const stray = strays(ledger.cases, ledger.workers, ledger.markers);
    return [
      ledgerTable(entries),
      '',
      ...groupCounts(entries),
      stateCounts(entries),
      ...(stray.workers || stray.markers ? [`Cases no longer in config (not shown): workers ${stray.workers}, result markers ${stray.markers}.`] : []),
      ...(facts.log_group_name ? [`Running jobs log to CloudWatch Logs group ${facts.log_group_name}; each attempt's log is under its results when it ends.`] : []),
    ].join('\n');
  },

  rehearse(ctx, { json }) {
    const entries = rehearsedEntries(ctx);
    if (json) return JSON.stringify(entries, null, 2);
    return [ledgerTable(entries), '', ...groupCounts(entries), stateCounts(entries), 'Rehearsal: from config and the cases rehearsals planned; nothing was read from AWS.'].join('\n');
  },
};

export default status;
