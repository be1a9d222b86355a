// retry: runs cases whose newest attempt failed, timed out or was lost again, each as its next
// attempt, on the configured engine. The attempt is part of the launch (EC2's client token, the
// Batch job's name) and of where its results go, so earlier attempts' results stay.
import type { Command, CommandOptions, EffectContext } from '../kinds';
import { expandCases, WorkflowCase, workflowSettings } from './cases';
import { atMostListed, engineName, Launch, launchName, readLedger } from './engine';
import { engineOf } from './engines';
import { CaseRecord, latestAttempt, RETRYABLE } from './ledger';

/** Which cases: named ones (id or label), whole studies, or every failed one. */
export interface Selection {
  cases: string[];
  studies: string[];
  failed: boolean;
}

const list = (value: unknown): string[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]).flatMap((item) => String(item).split(',')).map((s) => s.trim()).filter(Boolean);

export function selectionOf(options: CommandOptions): Selection {
  const selection = { cases: list(options.case), studies: list(options.study), failed: options.failed === true };
  if (!selection.cases.length && !selection.studies.length && !selection.failed) {
    throw new Error('Say which cases to retry: --case <id or label> (more than once, or comma-separated), --study <name>, or --failed for every case whose newest attempt failed, timed out or was lost.');
  }
  return selection;
}

/** The configured cases a selection names; an unknown case or study is an error that lists what there is. */
function selectedCases(cases: WorkflowCase[], selection: Selection, studies: string[]): WorkflowCase[] {
  for (const name of selection.cases) {
    if (!cases.some((c) => c.id === name || c.label === name)) {
      throw new Error(`No case ${JSON.stringify(name)} in config/workflows.yaml: give a case id (c-…) or label, as npx nx run infra:status shows them.`);
    }
  }
  for (const name of selection.studies) {
    if (!studies.includes(name)) throw new Error(`No study ${JSON.stringify(name)} in config/workflows.yaml; its studies: ${studies.join(', ') || 'none'}.`);
  }
  if (selection.failed && !selection.cases.length && !selection.studies.length) return cases;
  return cases.filter((c) => isNamed(c, selection) || selection.studies.includes(c.study ?? ''));
}

const isNamed = (c: WorkflowCase, selection: Selection) => selection.cases.includes(c.id) || selection.cases.includes(c.label);

/** Why a selected case is not retried, or its next attempt. */
function retryOf(record: CaseRecord): Launch | string {
  const latest = latestAttempt(record);
  if (!latest) return 'it has not started yet: npx nx run infra:provision starts it';
  if (!RETRYABLE.includes(latest.state)) return `its attempt ${latest.attempt} is ${latest.state}`;
  return { workflowCase: record.workflowCase, attempt: latest.attempt + 1 };
}

async function run(ctx: EffectContext, options: CommandOptions): Promise<string> {
  const selection = selectionOf(options);
  const workflows = workflowSettings(ctx.settings);
  // A mistyped case or study stops the run before anything is read from AWS.
  const chosen = new Set(selectedCases(expandCases(workflows), selection, Object.keys(workflows.studies)).map((c) => c.id));
  const engine = engineOf(engineName(ctx));
  const ledger = await readLedger(ctx, engine);
  const launches: Launch[] = [];
  /** Cases named with --case that cannot be retried, and why: worth a word (the others of a study or of --failed are simply not failed). */
  const refused: string[] = [];
  for (const record of ledger.records.filter((r) => chosen.has(r.workflowCase.id))) {
    const retry = retryOf(record);
    if (typeof retry !== 'string') launches.push(retry);
    else if (isNamed(record.workflowCase, selection)) refused.push(`${record.workflowCase.id} (${record.workflowCase.label}): ${retry}`);
  }
  if (!launches.length) {
    const why = refused.map((line) => `\n  ${line}`).join('');
    throw new Error(`Nothing to retry: no selected case's newest attempt failed, timed out or was lost.${why}`);
  }
  const started = await engine.start(ctx, launches, ledger, 'the same retry, run again once workers finish,');
  const lines = [
    `Retried ${started.started.length} of ${launches.length} cases on ${engineName(ctx)}:`,
    ...started.started.map((launch) => `  ${launchName(launch)}`),
    ...started.pending.map((line) => `Not yet: ${line}`),
    ...refused.map((line) => `Not retried: ${line}`),
  ];
  return lines.join('\n');
}

const retry: Command = {
  options: ['case', 'study', 'failed'],
  run,
  rehearse(ctx, options) {
    const selection = selectionOf(options);
    const workflows = workflowSettings(ctx.settings);
    const cases = selectedCases(expandCases(workflows), selection, Object.keys(workflows.studies));
    const lines = [
      `Would retry, on ${workflows.launch.engine}, each of these ${cases.length} cases whose newest attempt failed, timed out or was lost, as its next attempt:`,
      ...atMostListed(cases.map((c) => `${c.id} (${c.label})`)).map((line) => `  ${line}`),
      'Rehearsal: no case has run, so none has failed; nothing was read from AWS.',
    ];
    return lines.join('\n');
  },
};

export default retry;
