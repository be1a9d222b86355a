// Faults Pushbutton survives, each as it really happens where it can: a Terraform state lock held by
// another run (a real Terraform holding it), two runs of one unit at once (a real second process
// holding the unit's lock, and one that died), AWS throttling, 5xx and network errors through the
// real SDK client (HTTP stops at nock), and a full disk while rendering. docs/reliability.md lists
// each with what Pushbutton does.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import nock from 'nock';
import { renderStep } from '../src/render/render-step';
import { batchEngine } from '../src/steps/workflow/batch-engine';
import type { EffectContext } from '../src/steps/kinds';
import { resolveTerraformCli, runTerraform, terraformEnv, TerraformError } from '../src/terraform/terraform-cli';
import { lockFile, withUnitLock } from '../src/unit-lock';
import { interceptAwsWithNock } from './nock-aws';
import { launchSettings, MONITORING_DEFAULTS, workflowContext, workflowDefinition } from './steps/workflow/fixtures';

// The file system as the render engine sees it: the real one, unless a test fills the disk.
jest.mock('node:fs', () => {
  const real = jest.requireActual('node:fs');
  return { ...real, writeFileSync: jest.fn(real.writeFileSync) };
});

let temp: string;
beforeEach(() => {
  temp = mkdtempSync(join(tmpdir(), 'pushbutton-faults-'));
});
afterEach(() => rmSync(temp, { recursive: true, force: true }));

const waitFor = async (done: () => boolean, what: string) => {
  for (let i = 0; i < 300 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (!done()) throw new Error(`timed out waiting for ${what}`);
};

describe('a Terraform state lock held by another run', () => {
  let holder: ChildProcess | undefined;
  afterEach(() => holder?.kill('SIGKILL'));

  it('stops the run with what to do: wait for the other run, or force-unlock the lock it names', async () => {
    // A stack's work folder with a local backend, and a real `terraform apply` waiting at its prompt, holding the lock.
    const dir = join(temp, 'network');
    mkdirSync(dir);
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify({ terraform: { backend: { local: { path: 'terraform.tfstate' } } }, resource: { terraform_data: { marker: { input: 'a' } } } }));
    const env = terraformEnv({ TF_IN_AUTOMATION: '1' });
    expect(spawnSync('terraform', ['init', '-input=false'], { cwd: dir, env }).status).toBe(0);
    holder = spawn('terraform', ['apply', '-input=true'], { cwd: dir, env, stdio: ['pipe', 'ignore', 'ignore'] });
    await waitFor(() => existsSync(join(dir, '.terraform.tfstate.lock.info')), 'the first run to take the lock');
    const lockId = JSON.parse(readFileSync(join(dir, '.terraform.tfstate.lock.info'), 'utf8')).ID;

    const run = runTerraform(resolveTerraformCli({}), ['plan', '-input=false', '-lock-timeout=0s', '-no-color'], { cwd: dir, env, print: () => {} });

    const error = await run.then(() => undefined, (e: TerraformError) => e);
    expect(error).toBeInstanceOf(TerraformError);
    expect(error!.message).toMatch(/^The Terraform state of network is locked by another run: OperationTypeApply by \S+@\S+, since .* \(lock [0-9a-f-]{36}\)\./);
    expect(error!.message).toContain('If that run is still going, wait for it to finish and run again.');
    expect(error!.message).toContain(`cd ${dir} && terraform force-unlock ${lockId}`);
  }, 60_000);
});

describe('Terraform killed mid-apply', () => {
  it('says so, and the next run converges: it applies what is missing, with no lock in its way', async () => {
    // The second resource's provisioner kills Terraform (its parent) once, as a power cut or `kill -9` would.
    const dir = join(temp, 'workflow');
    mkdirSync(dir);
    const killOnce = 'if [ -f kill-me ]; then rm kill-me; kill -KILL $PPID; sleep 5; fi';
    writeFileSync(
      join(dir, 'main.tf.json'),
      JSON.stringify({
        terraform: { backend: { local: { path: 'terraform.tfstate' } } },
        resource: {
          terraform_data: {
            first: { input: 'a' },
            second: { input: 'b', depends_on: ['terraform_data.first'], provisioner: [{ 'local-exec': { command: killOnce } }] },
          },
        },
      }),
    );
    writeFileSync(join(dir, 'kill-me'), '');
    const env = terraformEnv();
    const cli = resolveTerraformCli({});
    expect(spawnSync('terraform', ['init', '-input=false'], { cwd: dir, env }).status).toBe(0);
    const apply = () => runTerraform(cli, ['apply', '-auto-approve', '-input=false', '-lock-timeout=0s', '-no-color'], { cwd: dir, env, print: () => {} });

    await expect(apply()).rejects.toThrow(/^`terraform apply .*` was stopped by SIGKILL before it finished\. What it had applied is in its state: run again, and it applies the rest\.$/);
    const stateList = () => spawnSync('terraform', ['state', 'list'], { cwd: dir, env, encoding: 'utf8' }).stdout.trim().split('\n');
    expect(stateList()).toEqual(['terraform_data.first']);

    const { output } = await apply();
    expect(output).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    expect(stateList()).toEqual(['terraform_data.first', 'terraform_data.second']);
  }, 60_000);
});

describe('two runs of one unit at once', () => {
  const root = () => temp;

  it('refuses the second at once, naming the first run\'s process, and never runs its work', async () => {
    const first = spawn('sleep', ['30']);
    try {
      const file = join(root(), lockFile('live', 'network'));
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, JSON.stringify({ pid: first.pid, started: '2026-12-02T08:00:00.000Z', command: 'nx run infra:provision' }));
      const work = jest.fn(async () => {});

      await expect(withUnitLock(root(), 'live', 'network', work)).rejects.toThrow(
        `Another run is working on network right now: process ${first.pid}, started 2026-12-02T08:00:00.000Z. Wait for it to finish (or stop it), then run again`,
      );
      expect(work).not.toHaveBeenCalled();
      expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(first.pid);
    } finally {
      first.kill('SIGKILL');
    }
  });

  it('takes over a lock its run left when it died, and releases it when done, however its work ends', async () => {
    const dead = spawnSync('true').pid!;
    const file = join(root(), lockFile('rehearse', 'workflow-launch'));
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, JSON.stringify({ pid: dead, started: '2026-12-01T08:00:00.000Z', command: 'nx run infra:provision:rehearse' }));

    const held = await withUnitLock(root(), 'rehearse', 'workflow-launch', async () => JSON.parse(readFileSync(file, 'utf8')).pid);
    expect(held).toBe(process.pid);
    expect(existsSync(file)).toBe(false);

    await expect(withUnitLock(root(), 'rehearse', 'workflow-launch', async () => Promise.reject(new Error('apply failed')))).rejects.toThrow('apply failed');
    expect(existsSync(file)).toBe(false);
  });
});

describe('AWS throttling, 5xx and network errors (the real Batch client, HTTP at nock)', () => {
  interceptAwsWithNock();
  const BATCH = 'https://batch.eu-central-1.amazonaws.com';
  const QUEUE = 'arn:aws:batch:eu-central-1:123456789012:job-queue/lab-workflow';
  const context = (): EffectContext =>
    workflowContext({
      workflows: { results: { prefix: 'results', keepOnDestroy: true }, launch: launchSettings({ engine: 'batch' }), monitoring: MONITORING_DEFAULTS, workflows: { trim: workflowDefinition('trim') }, cases: [], studies: {} },
      workspaceRoot: temp,
      facts: { bucket_name: 'lab-results', results_prefix: 'results', job_queue_arn: QUEUE, job_definitions: {}, jobs_prefix: '_pushbutton/jobs' },
    });
  // How Batch (REST-JSON) answers: the error's name in x-amzn-ErrorType (https://docs.aws.amazon.com/batch/latest/APIReference/CommonErrors.html).
  const throttled = [429, { message: 'Too Many Requests' }, { 'x-amzn-ErrorType': 'TooManyRequestsException' }] as const;
  const serverError = [500, { message: 'An internal error occurred.' }, { 'x-amzn-ErrorType': 'ServerException' }] as const;

  /**
   * A connection reset, as the SDK's HTTP handler reports it (@smithy/node-http-handler: a socket error
   * with code ECONNRESET becomes a TimeoutError), on the handler's `nth` request. Injected at the handler,
   * not the socket: nock's socket would emit the error again after the request ended.
   */
  function resetConnection(nth: number) {
    const handler = NodeHttpHandler.prototype;
    const passOn = handler.handle;
    let sent = 0;
    return jest.spyOn(handler, 'handle').mockImplementation(function (this: NodeHttpHandler, ...args) {
      if (++sent !== nth) return passOn.apply(this, args);
      return Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', name: 'TimeoutError' }));
    });
  }

  it('retries with backoff and goes on once Batch answers', async () => {
    const reset = resetConnection(3);
    const scope = nock(BATCH)
      .post('/v1/listjobs').reply(...throttled)
      .post('/v1/listjobs').reply(...serverError)
      .post('/v1/listjobs').reply(200, { jobSummaryList: [] });

    await expect(batchEngine.workers(context())).resolves.toEqual([]);
    expect(scope.isDone()).toBe(true);
    expect(reset).toHaveBeenCalledTimes(4);
  });

  it('fails clearly once its retries are spent, before it changes anything', async () => {
    nock(BATCH).post('/v1/listjobs').times(8).reply(...serverError);
    const submit = nock(BATCH).post('/v1/submitjob').reply(200, {});

    await expect(batchEngine.workers(context())).rejects.toThrow('An internal error occurred.');
    expect(submit.isDone()).toBe(false);
  });
});

describe('a full disk while rendering', () => {
  it('leaves the previous output whole, and nothing half-written beside it', () => {
    const root = temp;
    mkdirSync(join(root, 'templates', 'disk'), { recursive: true });
    writeFileSync(join(root, 'templates', 'disk', 'file.md.ejs'), '<%= text %>\n');
    const items = (text: string) => Array.from({ length: 5 }, (_, i) => ({ templateDir: '', outDir: `item-${i}`, context: { text } }));
    const outDir = join(root, 'out');
    renderStep({ workspaceRoot: root, step: 'disk', outDir, items: items('before') });

    const write = jest.mocked(writeFileSync);
    const real = jest.requireActual('node:fs').writeFileSync;
    let writes = 0;
    write.mockImplementation((...args: Parameters<typeof writeFileSync>) => {
      if (++writes === 3) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return real(...args);
    });
    try {
      expect(() => renderStep({ workspaceRoot: root, step: 'disk', outDir, items: items('after') })).toThrow('ENOSPC');
    } finally {
      write.mockImplementation(real);
    }
    expect(writes).toBe(3);
    for (let i = 0; i < 5; i++) expect(readFileSync(join(outDir, `item-${i}`, 'file.md'), 'utf8')).toBe('before\n');
    expect(readdirSync(root).sort()).toEqual(['out', 'templates']);
  });
});
