// Terraform's own state lock, held by another run (or left by one that was killed before it could
// release it, which only a remote backend keeps): what to do about it, said plainly.

/** The lock Terraform reports in "Error acquiring the state lock", if that is the error. */
export function heldLock(output: string): { id: string; who: string; operation: string; created: string } | undefined {
  if (!output.includes('Error acquiring the state lock')) return undefined;
  const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(.*)$`, 'm').exec(output)?.[1]?.trim() ?? '';
  return { id: field('ID'), who: field('Who'), operation: field('Operation'), created: field('Created') };
}

/** What a person does about a held lock of a stack's state, working in `dir`. */
export function heldLockMessage(stack: string, dir: string, lock: NonNullable<ReturnType<typeof heldLock>>): string {
  return [
    `The Terraform state of ${stack} is locked by another run: ${lock.operation || 'an operation'} by ${lock.who || 'someone'}, since ${lock.created || 'a while'} (lock ${lock.id}).`,
    'If that run is still going, wait for it to finish and run again.',
    `If it is gone (it was killed, or its machine stopped), release the lock, then run again: cd ${dir} && terraform force-unlock ${lock.id}`,
  ].join('\n');
}
