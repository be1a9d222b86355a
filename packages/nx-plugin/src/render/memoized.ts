/** `compute`, run once per distinct key: render steps repeat the same work for many items. */
export function memoized<T>(compute: (key: string) => T): (key: string) => T {
  const found = new Map<string, T>();
  return (key) => {
    if (!found.has(key)) found.set(key, compute(key));
    return found.get(key)!;
  };
}

/** `compute`, run when first asked, then its value. */
export function once<T>(compute: () => T): () => T {
  let value: { result: T } | undefined;
  return () => (value ??= { result: compute() }).result;
}

/** What is wrong with each distinct text of a check, by text; the check may run in the background until first asked. */
export type TextProblems = () => Map<string, string | undefined>;

/** A check of many texts that runs `problem` on each distinct text, when first asked. */
export const checkEach =
  (problem: (text: string) => string | undefined) =>
  (texts: string[]): TextProblems =>
    once(() => new Map([...new Set(texts)].map((text) => [text, problem(text)])));
