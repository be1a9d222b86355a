// report: the study report, one self-contained HTML page (no script, no network to open it): per
// study the cases by state, a histogram of their run times, cases per workflow by state, and a row
// per case linking to its results and log; the ledger's JSON (what `status --json` prints) inside.
// Rendered from templates/workflow-report/ by the same strict engine as every other rendered file.
import { join } from 'node:path';
import { writeFileAtomic } from '../../fs-atomic';
import { count, isoSeconds } from '../../format';
import { paths } from '../../paths';
import { renderInMemory } from '../../render/render-step';
import type { Command, EffectContext } from '../kinds';
import { overridesText } from './cases';
import { ledgerEntries, LedgerEntry, rehearsedEntries } from './status';

/** Bar colours by state; a state not listed is grey. */
const STATE_COLOURS: Record<string, string> = {
  succeeded: '#2e7d32',
  failed: '#c62828',
  'timed-out': '#ef6c00',
  lost: '#6a1b9a',
  running: '#1565c0',
  queued: '#90a4ae',
  'not started': '#cfd8dc',
};
const colourOf = (state: string) => STATE_COLOURS[state] ?? '#b0bec5';

const BAR_WIDTH = 600;
const HISTOGRAM_BINS = 10;

export interface Segment {
  state: string;
  n: number;
  x: number;
  width: number;
  colour: string;
}

/** Counts by state, in the order states first appear, as a bar `BAR_WIDTH` wide. */
function stackedBar(entries: LedgerEntry[]): Segment[] {
  const counts = new Map<string, number>();
  for (const { state } of entries) counts.set(state, (counts.get(state) ?? 0) + 1);
  let x = 0;
  return [...counts].map(([state, n]) => {
    const width = (n / entries.length) * BAR_WIDTH;
    const segment = { state, n, x, width, colour: colourOf(state) };
    x += width;
    return segment;
  });
}

const seconds = (e: LedgerEntry) => (e.started && e.finished ? (Date.parse(e.finished) - Date.parse(e.started)) / 1000 : undefined);

export const durationText = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);

/** Run times of the finished cases in `HISTOGRAM_BINS` equal bins, as bars of a 600 × 120 chart. */
function histogram(entries: LedgerEntry[]) {
  const times = entries.map(seconds).filter((s): s is number => s !== undefined);
  if (!times.length) return { finished: 0, bins: [] };
  const top = Math.max(...times, 1);
  const width = top / HISTOGRAM_BINS;
  const counts = Array.from({ length: HISTOGRAM_BINS }, (_, i) => times.filter((t) => (i === HISTOGRAM_BINS - 1 ? t >= i * width : t >= i * width && t < (i + 1) * width)).length);
  const most = Math.max(...counts);
  return {
    finished: times.length,
    bins: counts.map((n, i) => ({
      n,
      x: i * (BAR_WIDTH / HISTOGRAM_BINS),
      width: BAR_WIDTH / HISTOGRAM_BINS - 4,
      height: most ? (n / most) * 100 : 0,
      label: `${durationText(i * width)}–${durationText((i + 1) * width)}`,
    })),
  };
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** An S3 URL as the S3 console's page of that folder or object, which a browser can open. */
export function consoleUrl(s3Url: string, region: string): string {
  const [bucket, ...key] = s3Url.slice('s3://'.length).split('/');
  const prefix = key.join('/');
  return prefix.endsWith('/') || !prefix
    ? `https://s3.console.aws.amazon.com/s3/buckets/${bucket}?region=${region}&prefix=${encodeURIComponent(prefix)}`
    : `https://s3.console.aws.amazon.com/s3/object/${bucket}?region=${region}&prefix=${encodeURIComponent(prefix)}`;
}

/** What templates/workflow-report renders: the page's data, computed here so the template only lays it out. */
export function reportContext(entries: LedgerEntry[], options: { project: string; region: string; generated: Date; rehearsal: boolean }) {
  const byStudy = groupBy(entries, (e) => e.study ?? '');
  return {
    project: options.project,
    generated: isoSeconds(options.generated),
    rehearsal: options.rehearsal,
    total: count(entries.length, 'case'),
    barWidth: BAR_WIDTH,
    states: Object.entries(STATE_COLOURS).map(([state, colour]) => ({ state, colour })),
    studies: [...byStudy].map(([study, members]) => ({
      title: study ? `Study ${study}` : 'Single cases',
      total: count(members.length, 'case'),
      bar: stackedBar(members),
      histogram: histogram(members),
    })),
    workflows: [...groupBy(entries, (e) => e.workflow)].map(([workflow, members]) => ({ workflow, total: count(members.length, 'case'), bar: stackedBar(members) })),
    rows: entries.map((e) => {
      const duration = seconds(e);
      return {
        id: e.case,
        label: e.label,
        workflow: e.workflow,
        study: e.study ?? '',
        parameters: overridesText(e.parameters) || '-',
        state: e.state,
        colour: colourOf(e.state),
        attempt: e.attempt ?? '-',
        started: e.started ?? '-',
        duration: duration === undefined ? '-' : durationText(duration),
        results: consoleUrl(e.results, options.region),
        log: e.log ? consoleUrl(e.log, options.region) : '',
      };
    }),
    // The same data as `status --json`, for a program; `<` written as \u003c so it cannot end the script element.
    ledgerJson: JSON.stringify(entries, null, 2).replace(/</g, '\\u003c'),
  };
}

/** Renders and writes the page; returns where it is, relative to the workspace. */
export function writeReport(ctx: EffectContext, entries: LedgerEntry[], generated = new Date()): string {
  const file = paths.reportFile(ctx.mode);
  const context = reportContext(entries, { project: ctx.settings.project.name, region: ctx.region, generated, rehearsal: ctx.mode === 'rehearse' });
  const texts = renderInMemory({ workspaceRoot: ctx.workspaceRoot, step: 'workflow-report', outDir: paths.runDir, items: [{ templateDir: '', outDir: '.', context }] });
  writeFileAtomic(join(ctx.workspaceRoot, file), texts.get('study-report.html')!);
  return file;
}

const summary = (file: string, entries: LedgerEntry[]) => `Wrote the study report of ${count(entries.length, 'case')}: ${file} (open it in a browser; it needs no network).`;

const report: Command = {
  options: [],
  async run(ctx) {
    const { entries } = await ledgerEntries(ctx);
    return summary(writeReport(ctx, entries), entries);
  },
  rehearse(ctx) {
    const entries = rehearsedEntries(ctx);
    return `${summary(writeReport(ctx, entries), entries)}\nRehearsal: from config and the cases rehearsals planned; nothing was read from AWS.`;
  },
};

export default report;
