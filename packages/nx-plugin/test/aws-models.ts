// Every AWS call a test's mocks received, checked against AWS's own service models (botocore's,
// through tools/ci/check-aws-calls.py): a misspelt or missing parameter, a wrong type or a value out
// of its range fails the test file even where the mock took it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { AwsStub } from 'aws-sdk-client-mock';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { BOTOCORE_PYTHON } = require('../../../tools/ci/system-tools') as { BOTOCORE_PYTHON: string };

const CHECKER = join(__dirname, '../../../tools/ci/check-aws-calls.py');

interface Call {
  service: string;
  operation: string;
  params: unknown;
}

/** The input as JSON gives it: dates as ISO text, bytes as text (the model checks their type, not their content). */
function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v) => {
      if (v instanceof Uint8Array || (v && v.type === 'Buffer' && Array.isArray(v.data))) return '<bytes>';
      return v;
    }),
  );
}

/** The calls AWS's models refuse: `service:Operation` and why. */
export function refusedByAwsModels(calls: Call[]): { call: string; problems: string[] }[] {
  if (!calls.length) return [];
  const result = spawnSync(BOTOCORE_PYTHON, [CHECKER], { input: JSON.stringify(calls), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${CHECKER} failed (python3 with botocore is needed: apt-get install python3-botocore):\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

/**
 * Records every call the mocks receive in each test (before a test's beforeEach resets them), and
 * once the file's tests ran, expects AWS's models to take every one. `mocks` by botocore's service name.
 */
export function checkCallsAgainstAwsModels(mocks: Record<string, AwsStub<any, any, any>>): void {
  const calls: Call[] = [];
  afterEach(() => {
    for (const [service, mock] of Object.entries(mocks)) {
      for (const call of mock.calls()) {
        const command = call.args[0] as { constructor: { name: string }; input: unknown };
        calls.push({ service, operation: command.constructor.name.replace(/Command$/, ''), params: plain(command.input) });
      }
    }
  });
  afterAll(() => {
    expect(refusedByAwsModels(calls)).toEqual([]);
  });
}
