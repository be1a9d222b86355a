// The study report, rendered from the real templates/report for a mocked study, opened in a real
// headless browser (Debian's Chromium): it loads without errors, shows the right counts, carries
// the ledger's JSON, and a screenshot is written (PUSHBUTTON_REPORT_SCREENSHOT keeps it, e.g. for
// the README's docs/images/study-report.png).
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EffectContext } from '../../../src/steps/kinds';
import { commandsCode } from '../../../src/steps/kinds';
import report, { consoleUrl, durationText, writeReport } from '../../../src/steps/workflow/report';
import type { LedgerEntry } from '../../../src/steps/workflow/status';
import { launchSettings, MONITORING_DEFAULTS, workflowContext, workflowDefinition } from './fixtures';

const REPO = join(__dirname, '../../../../..');
const BUCKET = 'lab-results-20250301';
const HOSTILE = '<script>alert("x")</script> & \'quoted\'';

/** One case of the mocked ledger: a study `sweep` of 12 cases in every state, and a single case. */
function entry(index: number, state: string, minutes?: number, more: Partial<LedgerEntry> = {}): LedgerEntry {
  const id = `c-${String(index).padStart(12, '0')}`;
  const started = minutes === undefined ? null : '2025-03-01T10:00:00Z';
  const finished = minutes === undefined || state === 'running' ? null : new Date(Date.parse('2025-03-01T10:00:00Z') + minutes * 60_000).toISOString().replace('.000', '');
  const results = `s3://${BUCKET}/results/${id}/attempt-1/`;
  return {
    case: id,
    label: `sweep qual=${index}`,
    workflow: 'trim',
    study: 'sweep',
    parameters: { qual: index },
    attempt: state === 'not started' ? null : 1,
    state,
    worker: null,
    reason: null,
    started,
    finished,
    results,
    log: finished ? `${results}logs/run-case.log` : null,
    attempts: [],
    ...more,
  };
}

const LEDGER: LedgerEntry[] = [
  ...[10, 20, 30, 40, 50].map((m, i) => entry(i, 'succeeded', m)),
  ...[15, 25, 35].map((m, i) => entry(5 + i, 'failed', m)),
  entry(8, 'timed-out', 60),
  entry(9, 'running', 5),
  entry(10, 'running', 7),
  entry(11, 'queued'),
  entry(12, 'not started', undefined, { study: null, workflow: 'assemble', label: HOSTILE }),
];

let workspace: string;
beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'pushbutton-report-'));
  cpSync(join(REPO, 'templates'), join(workspace, 'templates'), { recursive: true });
});
afterEach(() => rmSync(workspace, { recursive: true, force: true }));

const context = (mode: EffectContext['mode'] = 'live') =>
  workflowContext({
    workflows: { results: { prefix: 'results', keepOnDestroy: true }, launch: launchSettings(), monitoring: MONITORING_DEFAULTS, workflows: { trim: workflowDefinition('trim') }, cases: [], studies: {} },
    mode,
    workspaceRoot: workspace,
    facts: { bucket_name: BUCKET, results_prefix: 'results' },
  });

/** Chromium, headless, on the page: `--dump-dom` prints the page as loaded; stderr carries its console. */
function chromium(args: string[]) {
  const result = spawnSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--enable-logging=stderr', '--v=0', ...args], { encoding: 'utf8', timeout: 60_000 });
  expect(result.error).toBeUndefined();
  return result;
}

describe('the study report', () => {
  it('loads in a headless browser without errors, with each study\'s counts by state, a row per case and the ledger\'s JSON', () => {
    const file = join(workspace, writeReport(context(), LEDGER, new Date('2025-03-01T12:00:00Z')));
    const loaded = chromium(['--dump-dom', `file://${file}`]);
    expect(loaded.status, loaded.stderr).toBe(0);
    expect(loaded.stderr).not.toMatch(/CONSOLE|Uncaught|Failed to load/);
    const dom = loaded.stdout;

    expect(dom).toContain('<title>Study report: lab</title>');
    expect(dom).toContain('<span id="total">13 cases</span>');
    const counts = [...dom.matchAll(/<span class="count" data-state="([^"]+)">(\d+) [^<]+<\/span>/g)].map(([, state, n]) => [state, Number(n)]);
    expect(counts).toEqual([
      ['succeeded', 5], ['failed', 3], ['timed-out', 1], ['running', 2], ['queued', 1],
      ['not started', 1],
    ]);
    expect(dom.match(/<tr data-case="c-\d{12}">/g)).toHaveLength(13);
    expect(dom).toContain('Run times of the 9 finished cases:');
    const json = /<script type="application\/json" id="ledger">([\s\S]*?)<\/script>/.exec(dom)![1];
    expect(JSON.parse(json)).toEqual(LEDGER);
  }, 90_000);

  it('writes a value as text, never markup, and links each case to its results and log in the S3 console', () => {
    const html = readFileSync(join(workspace, writeReport(context(), LEDGER)), 'utf8');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;');
    expect(html).toContain(`<a href="${consoleUrl(LEDGER[0].results, 'eu-central-1').replace(/&/g, '&amp;')}">results</a>`);
    expect(consoleUrl(LEDGER[0].results, 'eu-central-1')).toBe(`https://s3.console.aws.amazon.com/s3/buckets/${BUCKET}?region=eu-central-1&prefix=results%2Fc-000000000000%2Fattempt-1%2F`);
    expect(consoleUrl(LEDGER[0].log!, 'eu-central-1')).toBe(`https://s3.console.aws.amazon.com/s3/object/${BUCKET}?region=eu-central-1&prefix=results%2Fc-000000000000%2Fattempt-1%2Flogs%2Frun-case.log`);
  });

  it('writes a screenshot of the page', () => {
    const file = join(workspace, writeReport(context(), LEDGER, new Date('2025-03-01T12:00:00Z')));
    const png = join(workspace, 'study-report.png');
    const shot = chromium([`--screenshot=${png}`, '--window-size=1280,1500', '--hide-scrollbars', `file://${file}`]);
    expect(shot.status, shot.stderr).toBe(0);
    expect(readFileSync(png).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(statSync(png).size).toBeGreaterThan(10_000);
    if (process.env.PUSHBUTTON_REPORT_SCREENSHOT) copyFileSync(png, process.env.PUSHBUTTON_REPORT_SCREENSHOT);
  }, 90_000);

  it('rehearses from config: every case planned or not, and says nothing was read from AWS', () => {
    const text = report.rehearse(
      workflowContext({
        workflows: {
          results: { prefix: 'results', keepOnDestroy: true },
          launch: launchSettings(),
          monitoring: MONITORING_DEFAULTS,
          workflows: { trim: workflowDefinition('trim') },
          cases: [{ workflow: 'trim', parameters: {} }],
          studies: {},
        },
        mode: 'rehearse',
        workspaceRoot: workspace,
        facts: { bucket_name: BUCKET, results_prefix: 'results' },
      }),
      {},
    );
    expect(text).toBe(
      'Wrote the study report of 1 case: .pushbutton/reports/rehearse/study-report.html (open it in a browser; it needs no network).\nRehearsal: from config and the cases rehearsals planned; nothing was read from AWS.',
    );
    expect(readFileSync(join(workspace, '.pushbutton/reports/rehearse/study-report.html'), 'utf8')).toContain('Rehearsal: the cases as config lists them');
  });

  it('says run times as a person reads them', () => {
    expect([durationText(42), durationText(600), durationText(5400)]).toEqual(['42 s', '10 min', '1.5 h']);
  });

  it('is registered as the report command, taking no options', () => {
    expect(commandsCode().report).toBe(report);
    expect(report.options).toEqual([]);
  });
});
