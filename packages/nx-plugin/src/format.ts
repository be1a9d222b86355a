import type { Facts } from './facts';
import type { Mode } from './mode';
import type { ApplyResult } from './terraform/stack-run';

/** `1 case`, `2 cases`: a number and its noun. */
export const count = (n: number, noun: string, plural = `${noun}s`) => `${n} ${n === 1 ? noun : plural}`;

/** A time as ISO 8601 to the second: `2026-05-01T12:00:00Z`. */
export const isoSeconds = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

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

const LONGEST_VALUE = 72;

/** A fact's value on one line: strings as they are, a map as its keys, anything long cut short. */
export function valueText(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
      : value && typeof value === 'object' && !Array.isArray(value)
        ? `{ ${Object.keys(value).join(', ')} }`
        : JSON.stringify(value);
  const firstLine = text.split('\n')[0];
  return firstLine.length > LONGEST_VALUE || firstLine !== text ? `${firstLine.slice(0, LONGEST_VALUE - 3)}...` : text;
}

export function formatFacts(values: Record<string, unknown>): string {
  return table(['fact', 'value'], Object.entries(values).map(([name, value]) => [name, valueText(value)]));
}

/** The end-of-step summary: what was created and where the facts are. */
export function applySummary(stack: string, mode: Mode, result: ApplyResult): string {
  const where = mode === 'rehearse' ? 'rehearsal, mock provider: nothing was created in AWS' : `AWS account ${result.account}`;
  return [
    `${stack} (${where})`,
    result.outcome,
    '',
    table(['resource'], result.resources.map((address) => [address])),
    '',
    formatFacts(result.values),
    '',
    `Facts${mode === 'rehearse' ? ' (mock values)' : ''}: ${result.factsFile}`,
  ].join('\n');
}

export function factsTable(facts: Facts[]): string {
  return table(
    ['unit', 'fact', 'value'],
    facts.flatMap((f) => Object.entries(f.values).map(([name, value]) => [f.unit, name, valueText(value)])),
  );
}
