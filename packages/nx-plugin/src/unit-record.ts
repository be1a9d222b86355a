// What a unit that changes the world (apply, effect, delivery) leaves for the runs after it: its
// facts, for the units that read them, and its state token, which makes a cache hit true.
import { removeFacts, writeFacts } from './facts';
import type { Mode } from './mode';
import { forgetState, recordState, StateParts } from './state-token';

/**
 * Records a finished unit: its facts, then its state token. `parts: undefined` is a unit that
 * is not done (an effect still waiting): its facts are written, but no token, so the next run
 * runs it again. Returns the facts file.
 */
export async function recordUnit(root: string, mode: Mode, unit: string, values: Record<string, unknown>, parts: StateParts | undefined): Promise<string> {
  const file = writeFacts(root, { unit, mode, rehearsal: mode === 'rehearse', values });
  if (parts) await recordState(root, mode, unit, parts);
  return file;
}

/**
 * Forgets a unit's token as it starts (a run that dies half-way is never a cache hit) and, once
 * the unit is undone (`undone: true`), its facts too.
 */
export function forgetUnit(root: string, mode: Mode, unit: string, { undone = false } = {}): void {
  forgetState(root, mode, unit);
  if (undone) removeFacts(root, mode, unit);
}
