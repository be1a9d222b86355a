// status: the case ledger. Every configured case with its newest worker and its completion
// marker, read from EC2 tags and the results bucket, never from a local file: what AWS shows
// is the truth for any checkout, and workers finish while nobody is watching.
import type { Instance } from '@aws-sdk/client-ec2';
import type { S3Client } from '@aws-sdk/client-s3';
import { isoSeconds, table } from '../../format';
import type { Report } from '../kinds';
import { expandCases, overridesText, WorkflowCase, workflowSettings } from './cases';
import type { WorkflowFacts } from './facts';
import {
  caseIdOf,
  caseResultsUrl,
  ec2Client,
  readPlannedCases,
  ResultMarker,
  resultMarkers,
  s3Client,
  s3Sdk,
  workerInstances,
  workflowFacts,
} from './workflow-launch';

const HEADERS = ['case', 'workflow', 'parameters', 'instance', 'state', 'started', 'finished', 'results'];
const NOT_LAUNCHED = 'not launched';
/** How many marker files are fetched at once, for cases whose instance EC2 has forgotten. */
const MARKER_FETCHES_AT_ONCE = 16;

/** One row of the ledger; also its JSON, key for key. */
export interface LedgerEntry {
  case: string;
  label: string;
  workflow: string;
  study: string | null;
  parameters: Record<string, unknown>;
  instance: string | null;
  state: string;
  started: string | null;
  finished: string | null;
  results: string;
}

type MarkerTimes = { startedAt?: string; finishedAt?: string };
type Strays = { instances: number; markers: number };

function isoTime(value: Date | string | undefined): string | undefined {
  const date = value === undefined ? undefined : new Date(value);
  return date && !Number.isNaN(date.getTime()) ? isoSeconds(date) : undefined;
}

function entry(
  facts: WorkflowFacts,
  workflowCase: WorkflowCase,
  found: Pick<LedgerEntry, 'instance' | 'state' | 'started' | 'finished'>,
): LedgerEntry {
  return {
    case: workflowCase.id,
    label: workflowCase.label,
    workflow: workflowCase.workflow,
    study: workflowCase.study ?? null,
    parameters: workflowCase.overrides,
    ...found,
    results: caseResultsUrl(facts, workflowCase.id),
  };
}

function newestByCase(instances: Instance[]): Map<string, Instance> {
  const newest = new Map<string, Instance>();
  for (const instance of instances) {
    const caseId = caseIdOf(instance);
    const known = caseId && newest.get(caseId);
    if (caseId && (!known || (instance.LaunchTime ?? 0) > (known.LaunchTime ?? 0))) newest.set(caseId, instance);
  }
  return newest;
}

/** startedAt and finishedAt of the marker's JSON; nothing if it is gone or not JSON. */
async function markerTimes(client: S3Client, bucket: string, marker: ResultMarker): Promise<MarkerTimes> {
  const { GetObjectCommand, NoSuchKey } = await s3Sdk();
  try {
    const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: marker.key }));
    const content = JSON.parse((await Body?.transformToString()) ?? '{}') as Record<string, unknown>;
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    return { startedAt: text(content.startedAt), finishedAt: text(content.finishedAt) };
  } catch (error) {
    if (error instanceof NoSuchKey || error instanceof SyntaxError) return {};
    throw error;
  }
}

async function liveEntry(
  client: S3Client,
  facts: WorkflowFacts,
  workflowCase: WorkflowCase,
  instance: Instance | undefined,
  marker: ResultMarker | undefined,
): Promise<LedgerEntry> {
  // Only when EC2 no longer shows the instance does its start time have to come from the marker.
  const times = marker && !instance ? await markerTimes(client, facts.bucket_name, marker) : {};
  return entry(facts, workflowCase, {
    instance: instance?.InstanceId ?? null,
    state: marker?.status ?? instance?.State?.Name ?? NOT_LAUNCHED,
    started: isoTime(instance?.LaunchTime) ?? isoTime(times.startedAt) ?? null,
    finished: marker ? (isoTime(times.finishedAt) ?? isoTime(marker.lastModified) ?? null) : null,
  });
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

/** `5 cases: 2 running, 1 succeeded, 2 not launched`, states in the order they first appear. */
function stateCounts(entries: LedgerEntry[]): string {
  const counts = new Map<string, number>();
  for (const { state } of entries) counts.set(state, (counts.get(state) ?? 0) + 1);
  const byState = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  return `${entries.length} cases${byState ? `: ${byState}` : ''}`;
}

function ledgerTable(entries: LedgerEntry[]): string {
  const rows = entries.map((e) => [
    e.case,
    e.workflow,
    overridesText(e.parameters) || '-',
    e.instance ?? '-',
    e.state,
    e.started ?? '-',
    e.finished ?? '-',
    e.results,
  ]);
  return table(HEADERS, rows);
}

function straysLine({ instances, markers }: Strays): string[] {
  if (!instances && !markers) return [];
  return [`Cases no longer in config (not shown): instances ${instances}, result markers ${markers}.`];
}

const status: Report = {
  async run(ctx, { json }) {
    const facts = workflowFacts(ctx);
    const cases = expandCases(workflowSettings(ctx.settings));
    const s3 = await s3Client(ctx.region);
    const [instances, markers] = await Promise.all([workerInstances(await ec2Client(ctx.region), ctx.settings.project.name), resultMarkers(s3, facts)]);
    const newest = newestByCase(instances);
    const entries = await mapConcurrently(cases, MARKER_FETCHES_AT_ONCE, (c) => liveEntry(s3, facts, c, newest.get(c.id), markers.get(c.id)));
    if (json) return JSON.stringify(entries, null, 2);

    const configured = new Set(cases.map((c) => c.id));
    const strays: Strays = {
      instances: instances.filter((i) => !configured.has(caseIdOf(i) ?? '')).length,
      markers: [...markers.keys()].filter((caseId) => !configured.has(caseId)).length,
    };
    return [ledgerTable(entries), '', stateCounts(entries), ...straysLine(strays)].join('\n');
  },

  rehearse(ctx, { json }) {
    const facts = workflowFacts(ctx);
    const planned = readPlannedCases(ctx.workspaceRoot);
    const entries = expandCases(workflowSettings(ctx.settings)).map((c) =>
      entry(facts, c, { instance: null, state: planned.has(c.id) ? 'planned (rehearsal)' : 'not planned', started: null, finished: null }),
    );
    if (json) return JSON.stringify(entries, null, 2);
    return [ledgerTable(entries), '', stateCounts(entries), 'Rehearsal: from config and the cases rehearsals planned; nothing was read from AWS.'].join('\n');
  },
};

export default status;
