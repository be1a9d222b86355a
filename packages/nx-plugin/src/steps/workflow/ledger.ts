// The truth about each case, from AWS alone: its attempts, each from the engine's workers (EC2
// instances or Batch jobs) and the completion markers in the results bucket. Provision, retry and
// status all decide from this, so any checkout sees the same.
import type { WorkflowCase } from './cases';
import type { WorkflowFacts } from './facts';
import { attemptResultsUrl, markerResultsUrl, ResultMarker } from './results';

/** One attempt at a case, as its engine shows it: an EC2 instance, or a Batch job (an array's child). */
export interface Worker {
  caseId: string;
  attempt: number;
  /** The instance id, or the Batch job id (`<array job id>:<index>` for a child). */
  id: string;
  /** The Batch job's name (an array's for a child). */
  job?: string;
  state: 'queued' | 'running' | 'ended';
  startedAt?: Date;
  /** Why it ended, as the engine says (e.g. "Host EC2 (instance i-…) terminated."). */
  reason?: string;
}

/** An attempt's state: its marker's status once it has one. `lost`: it ended without a marker. */
export type AttemptState = 'queued' | 'running' | 'succeeded' | 'failed' | 'timed-out' | 'lost';

/** States a retry starts again. */
export const RETRYABLE: AttemptState[] = ['failed', 'timed-out', 'lost'];

export interface CaseAttempt {
  attempt: number;
  state: AttemptState;
  worker?: Worker;
  marker?: ResultMarker;
  /** Where its outputs, logs and marker are. */
  results: string;
}

export interface CaseRecord {
  workflowCase: WorkflowCase;
  /** In order; none for a case never started. */
  attempts: CaseAttempt[];
}

/** The newest attempt of a case, if it has one. */
export const latestAttempt = (record: CaseRecord): CaseAttempt | undefined => record.attempts.at(-1);

/** Whether a case has an attempt queued or running now. */
export const isLive = (record: CaseRecord) => ['queued', 'running'].includes(latestAttempt(record)?.state ?? '');

function attemptState(worker: Worker | undefined, marker: ResultMarker | undefined): AttemptState {
  if (marker) return marker.status;
  return worker?.state === 'ended' ? 'lost' : (worker?.state ?? 'lost');
}

/** Each configured case with its attempts, from the engine's workers and the bucket's markers. */
export function caseRecords(cases: WorkflowCase[], workers: Worker[], markers: Map<string, ResultMarker[]>, facts: WorkflowFacts): CaseRecord[] {
  const workersOf = new Map<string, Worker[]>();
  for (const worker of workers) workersOf.set(worker.caseId, [...(workersOf.get(worker.caseId) ?? []), worker]);
  return cases.map((workflowCase) => {
    const caseWorkers = workersOf.get(workflowCase.id) ?? [];
    const caseMarkers = markers.get(workflowCase.id) ?? [];
    const numbers = [...new Set([...caseWorkers.map((w) => w.attempt), ...caseMarkers.map((m) => m.attempt)])].sort((a, b) => a - b);
    const attempts = numbers.map((attempt) => {
      // A worker the engine shows twice for one attempt (a relaunch): the newest.
      const worker = caseWorkers.filter((w) => w.attempt === attempt).sort((a, b) => (a.startedAt?.getTime() ?? 0) - (b.startedAt?.getTime() ?? 0)).at(-1);
      const marker = caseMarkers.find((m) => m.attempt === attempt);
      return {
        attempt,
        state: attemptState(worker, marker),
        ...(worker && { worker }),
        ...(marker && { marker }),
        results: marker ? markerResultsUrl(facts, marker) : attemptResultsUrl(facts.bucket_name, facts.results_prefix, workflowCase.id, attempt),
      };
    });
    return { workflowCase, attempts };
  });
}

/** Workers and markers of cases no longer in config. */
export function strays(cases: WorkflowCase[], workers: Worker[], markers: Map<string, ResultMarker[]>): { workers: number; markers: number } {
  const configured = new Set(cases.map((c) => c.id));
  return {
    workers: workers.filter((w) => !configured.has(w.caseId)).length,
    markers: [...markers.keys()].filter((caseId) => !configured.has(caseId)).length,
  };
}
