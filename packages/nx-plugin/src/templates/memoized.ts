/** `compute`, run once per distinct key: render steps repeat the same work for many items. */
export function memoized<T>(compute: (key: string) => T): (key: string) => T {
  const found = new Map<string, T>();
  return (key) => {
    if (!found.has(key)) found.set(key, compute(key));
    return found.get(key)!;
  };
}
