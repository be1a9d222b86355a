import { execFile, spawn } from 'node:child_process';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { heldLock, heldLockMessage } from './state-lock';

/** Executor options that choose the Terraform binary and where providers come from. */
export interface TerraformCliOptions {
  /** Terraform (or OpenTofu) binary; default: $PUSHBUTTON_TERRAFORM, else `terraform` on PATH. */
  terraformBinary?: string;
  /** A provider mirror passed to `terraform init -plugin-dir`; default: $PUSHBUTTON_TF_PLUGIN_DIR. */
  pluginDir?: string;
}

export interface TerraformCli {
  binary: string;
  pluginDir?: string;
}

export function resolveTerraformCli(options: TerraformCliOptions, env = process.env): TerraformCli {
  return {
    binary: options.terraformBinary || env.PUSHBUTTON_TERRAFORM || 'terraform',
    pluginDir: options.pluginDir || env.PUSHBUTTON_TF_PLUGIN_DIR || undefined,
  };
}

export class TerraformError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly output: string,
    cwd?: string,
    signal?: NodeJS.Signals | null,
  ) {
    // A state lock held by another run is the one failure with a fix to say: wait, or release it.
    const lock = heldLock(output);
    super(lock && cwd ? heldLockMessage(basename(cwd), cwd, lock) : signal ? killedMessage(command, signal) : `\`${command}\` failed with exit code ${exitCode}`);
    this.name = 'TerraformError';
  }
}

// Terraform writes its state as resources complete, so what a stopped apply had made is recorded and
// the next run makes only the rest (test/faults.test.ts kills one mid-apply).
const killedMessage = (command: string, signal: NodeJS.Signals) =>
  `\`${command}\` was stopped by ${signal} before it finished. What it had applied is in its state: run again, and it applies the rest.`;

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where Terraform's output goes, line by line, as it comes. */
  print: (line: string) => void;
  /** For `-json` commands: called with each machine-readable message instead of printing the raw line. */
  onMessage?: (message: TerraformMessage) => void;
  /** Exit codes that are not failures (`plan -detailed-exitcode` uses 2 for "changes"). */
  okExitCodes?: number[];
}

export interface TerraformMessage {
  '@level': string;
  '@message': string;
  type: string;
  [key: string]: unknown;
}

const KEEP_OUTPUT_CHARS = 64_000;

// With -verbose, `terraform test -json` writes the run's state followed by every schema of every
// provider it uses: about 13 MB for the AWS provider, on one line. It stays bytes: only the part
// before the schemas becomes a string.
const SCHEMAS_START = Buffer.from(',"provider_format_version":"');
const SCHEMAS_KEY = '","provider_schemas":';

/** Where the provider schemas' keys start in a line, or -1. */
function schemasAt(line: Buffer): number {
  const at = line.indexOf(SCHEMAS_START);
  if (at < 0) return -1;
  const versionEnd = line.indexOf('"', at + SCHEMAS_START.length);
  return line.toString('utf8', versionEnd, versionEnd + SCHEMAS_KEY.length) === SCHEMAS_KEY ? at : -1;
}

/**
 * One `-json` line of Terraform's, without the provider schemas, which nothing here reads and which
 * would take most of the time of parsing it. A quote that follows a comma is never inside a string
 * (a JSON string escapes its quotes), so the match is the key itself; if anything else matched,
 * the cut object does not parse and the whole line is parsed instead.
 */
export function parseMessage(line: Buffer): TerraformMessage {
  const cut = line.length > 100_000 ? schemasAt(line) : -1;
  if (cut >= 0) {
    const type = /"type":"([a-z_]+)"\}$/.exec(line.toString('utf8', line.length - 100))?.[1];
    try {
      return { ...JSON.parse(line.toString('utf8', 0, cut) + '}}'), ...(type && { type }) } as TerraformMessage;
    } catch {
      // not the key: parse it all
    }
  }
  return JSON.parse(line.toString()) as TerraformMessage;
}

/** Calls `onLine` with each line of `stream` as it ends, as bytes (readline would make each a string: the state line is 13 MB). */
function eachLine(stream: Readable, onLine: (line: Buffer) => void): void {
  let pending: Buffer[] = [];
  const end = (tail: Buffer) => {
    const line = Buffer.concat([...pending, tail]);
    pending = [];
    onLine(line.at(-1) === 0x0d ? line.subarray(0, -1) : line);
  };
  stream.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline >= 0; newline = chunk.indexOf(0x0a, start)) {
      end(chunk.subarray(start, newline));
      start = newline + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  });
  stream.on('end', () => pending.length && end(Buffer.alloc(0)));
}

/** Runs one Terraform command, streaming its output as it comes; resolves with its exit code and output tail. */
export function runTerraform(cli: TerraformCli, args: string[], options: RunOptions): Promise<{ exitCode: number; output: string }> {
  const command = `${cli.binary} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(cli.binary, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (text: string) => {
      output = (output + text).slice(-KEEP_OUTPUT_CHARS);
    };
    const printLine = (bytes: Buffer) => {
      const line = bytes.toString();
      options.print(line);
      keep(line + '\n');
    };
    eachLine(child.stdout, (bytes) => {
      if (options.onMessage && bytes[0] === 0x7b /* { */) {
        const message = parseMessage(bytes);
        options.onMessage(message);
        const detail = (message.diagnostic as { detail?: string } | undefined)?.detail;
        keep(`${message['@message']}${detail ? `\n  ${detail}` : ''}\n`);
      } else printLine(bytes);
    });
    eachLine(child.stderr, printLine);
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(`Terraform binary \`${cli.binary}\` was not found on PATH`) : error),
    );
    child.on('close', (exitCode, signal) => {
      if (exitCode !== null && (exitCode === 0 || options.okExitCodes?.includes(exitCode))) resolve({ exitCode, output });
      else reject(new TerraformError(command, exitCode, output, options.cwd, signal));
    });
  });
}

/**
 * Go's garbage collector target for Terraform and its providers, unless the environment sets one.
 * Each start of the AWS provider builds its whole schema (about 1,500 resource types) and then
 * exits: at Go's default (100) most of that CPU is collection. At 400 a rehearsal's Terraform takes
 * about a quarter less CPU, for some 40 MB more at peak per process (docs/performance.md).
 */
export const TERRAFORM_GOGC = '400';

/** The environment every Terraform command runs with: no prompts, no update checks. */
export function terraformEnv(extra: NodeJS.ProcessEnv = {}, base = process.env): NodeJS.ProcessEnv {
  return { GOGC: TERRAFORM_GOGC, ...base, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1', ...extra };
}

/** Runs one Terraform command without printing anything, for output meant for the program (`output -json`). */
export async function captureTerraform(cli: TerraformCli, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(cli.binary, args, { ...options, maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    throw new TerraformError(`${cli.binary} ${args.join(' ')}`, failed.code ?? null, failed.stderr ?? String(error));
  }
}
