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
  constructor(readonly issues: ConfigIssue[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`Invalid config (${count}); nothing was changed:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
