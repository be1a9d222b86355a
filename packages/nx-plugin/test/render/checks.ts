// What the template suites check rendered files with: the real tools, and the files' bytes.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Runs a tool to completion; its exit status and its stdout and stderr together. */
export function runTool(command: string, args: string[], options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000, ...options });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** bash -n and shellcheck pass on the script; a failure shows `<tool> <label>:` and what the tool said. */
export function expectCleanScriptFile(file: string, label: string, shellcheckOptions: string[] = []): void {
  for (const [command, args] of [['bash', ['-n']], ['shellcheck', shellcheckOptions]] as const) {
    const { status, output } = runTool(command, [...args, file]);
    expect(status, `${command} ${label}:\n${output}`).toBe(0);
  }
}

/** Every file under dir with its mode and bytes, to compare two renders, or before and after. */
export function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((name) => statSync(join(dir, name)).isFile())
      .sort()
      .map((name) => [name, `${(statSync(join(dir, name)).mode & 0o777).toString(8)} ${readFileSync(join(dir, name), 'base64')}`]),
  );
}
