import type { Facts } from './facts';
import type { Mode } from './terraform/preflight';
import type { ApplyResult } from './terraform/stack-run';

/** A plain-text table: a header row, a rule, and the rows, columns padded to fit. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function valueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The end-of-step summary: what was created and where the facts are. */
export function applySummary(stack: string, mode: Mode, result: ApplyResult, account?: string): string {
  const where = mode === 'rehearse' ? 'rehearsal, mock provider: nothing was created in AWS' : `AWS account ${account}`;
  const values = Object.entries(result.values).map(([name, value]) => [name, valueText(value)]);
  return [
    `${stack} (${where})`,
    result.outcome,
    '',
    table(['resource'], result.resources.map((address) => [address])),
    '',
    table(['fact', 'value'], values),
    '',
    `Facts${mode === 'rehearse' ? ' (mock values)' : ''}: ${result.factsFile}`,
  ].join('\n');
}

export function factsTable(facts: Facts[]): string {
  return table(
    ['stack', 'fact', 'value'],
    facts.flatMap((f) => Object.entries(f.values).map(([name, value]) => [f.stack, name, valueText(value)])),
  );
}
