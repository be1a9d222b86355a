// The results bucket's layout, the same for both engines: attempt n of case c writes its outputs,
// logs and one completion marker under s3://<bucket>/<prefix>/<c>/attempt-<n>/, so a retry never
// overwrites an earlier attempt. Results written before attempts existed (<prefix>/<c>/ itself)
// count as attempt 1.
import type { S3Client } from '@aws-sdk/client-s3';
import type { EffectContext } from '../kinds';
import type { WorkflowFacts } from './facts';
import { s3Client as newS3Client, s3Sdk } from '../s3-client';

/** The SDK's standard retry mode backs off on throttling; eight attempts ride out a long burst. */
export const MAX_ATTEMPTS = 8;

export const MARKER_STATUSES = ['succeeded', 'failed', 'timed-out'] as const;
export type MarkerStatus = (typeof MARKER_STATUSES)[number];

/** A completion marker: `<prefix>/<case>/attempt-<n>/_pushbutton/<status>.json` (or, from before attempts, `<prefix>/<case>/_pushbutton/…`). */
export interface ResultMarker {
  caseId: string;
  attempt: number;
  status: MarkerStatus;
  key: string;
  lastModified?: Date;
  /** Written before attempts were numbered: its results are at the case's folder itself. */
  unnumbered?: boolean;
}

export const s3Client = (region: string) => newS3Client(region, MAX_ATTEMPTS);

export const workflowFacts = (ctx: EffectContext) => ctx.facts['workflow'] as WorkflowFacts;

/** The folder of one attempt's outputs, logs and marker. */
export const attemptResultsUrl = (bucket: string, prefix: string, caseId: string, attempt: number) =>
  `s3://${bucket}/${prefix}/${caseId}/attempt-${attempt}/`;

/** Where a marker's attempt keeps its results. */
export function markerResultsUrl(facts: WorkflowFacts, marker: ResultMarker): string {
  const caseUrl = `s3://${facts.bucket_name}/${facts.results_prefix}/${marker.caseId}/`;
  return marker.unnumbered ? caseUrl : `${caseUrl}attempt-${marker.attempt}/`;
}

const MARKER_KEY = /^(c-[0-9a-f]{12})\/(?:attempt-([1-9][0-9]{0,3})\/)?_pushbutton\/(succeeded|failed|timed-out)\.json$/;

/** The marker a key names, if it is one. */
export function markerOf(keyPrefix: string, key: string, lastModified?: Date): ResultMarker | undefined {
  if (!key.startsWith(keyPrefix)) return undefined;
  const match = MARKER_KEY.exec(key.slice(keyPrefix.length));
  if (!match) return undefined;
  const [, caseId, attempt, status] = match;
  return { caseId, attempt: Number(attempt ?? 1), status: status as MarkerStatus, key, lastModified, ...(!attempt && { unnumbered: true }) };
}

/** Every completion marker in the results bucket, by case id, attempts in order (one marker per attempt: the newest). */
export async function resultMarkers(client: S3Client, facts: WorkflowFacts): Promise<Map<string, ResultMarker[]>> {
  const keyPrefix = `${facts.results_prefix}/`;
  const newest = new Map<string, ResultMarker>();
  const { paginateListObjectsV2 } = await s3Sdk();
  for await (const page of paginateListObjectsV2({ client }, { Bucket: facts.bucket_name, Prefix: keyPrefix })) {
    for (const object of page.Contents ?? []) {
      const marker = object.Key ? markerOf(keyPrefix, object.Key, object.LastModified) : undefined;
      if (!marker) continue;
      const id = `${marker.caseId}/${marker.attempt}`;
      const known = newest.get(id);
      if (!known || (marker.lastModified ?? 0) > (known.lastModified ?? 0)) newest.set(id, marker);
    }
  }
  const byCase = new Map<string, ResultMarker[]>();
  for (const marker of newest.values()) byCase.set(marker.caseId, [...(byCase.get(marker.caseId) ?? []), marker]);
  for (const markers of byCase.values()) markers.sort((a, b) => a.attempt - b.attempt);
  return byCase;
}

export type MarkerTimes = { startedAt?: string; finishedAt?: string };

/** startedAt and finishedAt of the marker's JSON; nothing if it is gone or not JSON. */
export async function markerTimes(client: S3Client, bucket: string, marker: ResultMarker): Promise<MarkerTimes> {
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
