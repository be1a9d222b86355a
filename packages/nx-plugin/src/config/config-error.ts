/** One thing wrong with the config, located in its file. */
export interface ConfigIssue {
  /** Path of the file, relative to the workspace root. */
  file: string;
  line: number;
  column: number;
  /** Dotted path of the key, e.g. `subnet.cidr`. */
  key: string;
  expected: string;
  found: string;
}

export function formatIssue({ file, line, column, key, expected, found }: ConfigIssue): string {
  return `${file}:${line}:${column} ${key}: expected ${expected}; found ${found}`;
}

/** Thrown before anything runs when config is invalid; lists every issue at once. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    issues = onePerPlace(issues);
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`Invalid config (${count}); nothing was changed:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * One issue per place and problem: a value under an anchor is checked once per alias that uses it,
 * but it is wrong, and fixed, in one place (the first alias's key path is kept).
 */
function onePerPlace(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const place = `${issue.file}:${issue.line}:${issue.column} ${issue.expected} ${issue.found}`;
    return !seen.has(place) && !!seen.add(place);
  });
}
