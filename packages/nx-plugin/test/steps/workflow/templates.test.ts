// The real templates/workflow, rendered for the shipped config and a facts fixture, checked with
// the tools a worker would use: cloud-init's schema check, YAML parsed back, bash -n and
// shellcheck, case.env sourced by bash; and the runner (run-case.sh, the same for every case) run
// in a sandbox where stand-ins for aws, curl, apt-get and shutdown record what they are asked to
// do: as an EC2 worker's cloud-init runs it, and as a Batch array child does, through the job's
// bootstrap, its pack and manifest.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Settings } from '@pushbutton/stacks';
import type { WorkflowDefinition } from '@pushbutton/stacks/src/workflow/settings';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../../src/config/load-config';
import { codeOf } from '../../../src/steps/kinds';
import { renderStep } from '../../../src/render/render-step';
import workflowRenderItems, { caseEnvFile, RUNNER_FILE, userDataFile } from '../../../src/steps/workflow/workflow-render';
import { jobPack, manifestText } from '../../../src/steps/workflow/batch-engine';
import { BATCH_BOOTSTRAP } from '@pushbutton/stacks/src/workflow/batch';
import { expandCases, WorkflowCase } from '../../../src/steps/workflow/cases';
import { expectCleanScriptFile, runTool, snapshot } from '../../render/checks';

const WORKSPACE = join(__dirname, '../../../../..');
const BUCKET = 'pushbutton-demo-results-a1b2c3';
const USER_DATA_LIMIT = 16 * 1024;

const fixtureFacts = (): Record<string, Record<string, unknown>> => ({
  workflow: { bucket_name: BUCKET, results_prefix: 'results', launch_template_id: 'lt-0123456789abcdef0' },
});
const shippedSettings = () => loadConfig(WORKSPACE, 'config');
const casesOf = (settings: Settings) => expandCases(settings.workflows!);

let temp: string;
let outDir: string;
beforeEach(() => {
  temp = mkdtempSync(join(tmpdir(), 'pushbutton-workflow-render-'));
  outDir = join(temp, 'workflow');
});
afterEach(() => rmSync(temp, { recursive: true, force: true }));

const render = (settings = shippedSettings(), facts = fixtureFacts(), rehearsal = false, out = outDir) =>
  renderStep({ workspaceRoot: WORKSPACE, step: 'workflow', outDir: out, items: workflowRenderItems(settings, facts, rehearsal) });
const read = (file: string) => readFileSync(join(outDir, file), 'utf8');
const modeOf = (file: string) => statSync(join(outDir, file)).mode & 0o777;
const userDataOf = (c: WorkflowCase) => userDataFile(c.id);

const RUNNER = '/opt/pushbutton/run-case.sh';
const CASE_ENV = '/opt/pushbutton/case/case.env';
const JOB_LINE = '/opt/pushbutton/case/job';
const AGENT_CONFIG = '/opt/pushbutton/case/cloudwatch-agent.json';
const CASE_FILES = '/opt/pushbutton/case/';

/** Writes the script to the temp folder and runs bash -n and shellcheck on it. */
function expectCleanScript(script: string): void {
  const file = join(temp, 'checked.sh');
  writeFileSync(file, script);
  expectCleanScriptFile(file, 'on the runner');
}

function expectValidCloudConfig(file: string): void {
  const { status, output } = runTool('cloud-init', ['schema', '--config-file', join(outDir, file)]);
  expect(status, `cloud-init schema --config-file ${file}:\n${output}`).toBe(0);
  expect(output).toContain('Valid cloud-config');
}

interface WriteFile {
  path: string;
  permissions: string;
  encoding?: string;
  content: string;
}

/** The files the user-data has cloud-init write, by path, with their content decoded. */
function writtenFiles(userData: string): Record<string, { permissions: string; text: string }> {
  const files = parseYaml(userData).write_files as WriteFile[];
  const decoded = (file: WriteFile) => (file.encoding === 'gz+b64' ? gunzipSync(Buffer.from(file.content, 'base64')).toString('utf8') : file.content);
  return Object.fromEntries(files.map((file) => [file.path, { permissions: file.permissions, text: decoded(file) }]));
}

/** The values case.env sets, as bash sees them once it has sourced the file: each a list of words (one for a plain value). */
function sourcedValues(caseEnv: string, names: string[]): Record<string, string[]> {
  const file = join(temp, 'sourced.env');
  writeFileSync(file, caseEnv);
  // Through a copy: bash 5.2 finds ${#NAME[@]} of a plain value unbound under set -u.
  const print = names.map((name) => `words=("\${${name}[@]}")\nprintf '%s\\0' "\${#words[@]}" "\${words[@]}"`).join('\n');
  const { status, output } = runTool('bash', ['-c', `set -u\nsource ${file}\n${print}`], { cwd: temp });
  expect(status, output).toBe(0);
  const words = output.split('\0');
  return Object.fromEntries(names.map((name) => [name, words.splice(0, Number(words.shift()))]));
}

/** The runner every case's user-data carries; they must all carry the same one, the rendered run-case.sh a Batch job runs. */
function theRunner(cases: WorkflowCase[]): string {
  const runners = new Set(cases.map((c) => writtenFiles(read(userDataOf(c)))[RUNNER].text));
  expect(runners.size, 'one runner for every case').toBe(1);
  expect([...runners][0], 'the same runner on both engines').toBe(read(RUNNER_FILE));
  return [...runners][0];
}

/** What a completion marker holds, key for key: what status and the ledger read. */
const MARKER_KEYS = ['caseId', 'attempt', 'engine', 'status', 'exitCode', 'stage', 'startedAt', 'finishedAt', 'seconds', 'worker'];

describe('templates/workflow rendered for the shipped config', () => {
  it('writes the runner once, and for every case its case.env and user-data.yaml', () => {
    const cases = casesOf(shippedSettings());
    expect(cases.length).toBeGreaterThanOrEqual(3);
    expect(render()).toEqual([RUNNER_FILE, ...cases.flatMap((c) => [caseEnvFile(c.id), userDataOf(c)])].sort());
    expect(modeOf(RUNNER_FILE)).toBe(0o755);
    for (const c of cases) {
      expect(modeOf(userDataOf(c)), userDataOf(c)).toBe(0o644);
      expect(modeOf(caseEnvFile(c.id)), caseEnvFile(c.id)).toBe(0o644);
    }
  });

  it('writes user-data that cloud-init accepts, well under the 16 KB EC2 allows', () => {
    render();
    const cases = casesOf(shippedSettings());
    for (const c of cases) {
      const size = Buffer.byteLength(read(userDataOf(c)));
      expect(size, `${userDataOf(c)} is ${size} bytes`).toBeLessThan(USER_DATA_LIMIT * 0.75);
      expect(read(userDataOf(c))).toMatch(/^#cloud-config\n/);
    }
    // The first (the single case), middle and last (study cases): cloud-init takes about half a second per file.
    const checked = new Set([cases[0], cases[Math.floor(cases.length / 2)], cases.at(-1)!]);
    expect(checked.size).toBe(3);
    for (const c of checked) expectValidCloudConfig(userDataOf(c));
  }, 60_000);

  // EC2's limit: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html
  it('refuses, with engine ec2, a case whose user-data EC2 would refuse (over 16 KB), naming it, and writes nothing', () => {
    render();
    const before = snapshot(outDir);
    const settings = shippedSettings();
    settings.workflows!.launch.engine = 'ec2';
    const workflow = settings.workflows!.workflows.taxonomic_classification;
    // Random text: gzip cannot shrink it, and the setup lines are written out as they are.
    workflow.setup = [...workflow.setup, `echo ${randomBytes(9 * 1024).toString('hex')}`];
    const [big] = casesOf(settings).filter((c) => c.workflow === 'taxonomic_classification');
    const onBatch = structuredClone(settings);
    onBatch.workflows!.launch.engine = 'batch';
    expect(() => render(onBatch, fixtureFacts(), false, join(temp, 'batch'))).not.toThrow();
    expect(() => render(settings)).toThrow(
      new RegExp(`/${userDataOf(big).replace(/\./g, '\\.')} \\(rendered from templates/workflow/case/user-data\\.yaml\\.ejs\\) is \\d+ bytes, over the 16384 that EC2 takes as user data`),
    );
    expect(snapshot(outDir)).toEqual(before);
  });

  it("has cloud-init install the packages, write the case's files and the runner, and run it", () => {
    render();
    const settings = shippedSettings();
    const cases = casesOf(settings);
    for (const c of cases) {
      const workflow = settings.workflows!.workflows[c.workflow];
      const userData = parseYaml(read(userDataOf(c)));
      expect(userData.package_update).toBe(true);
      expect(userData.packages).toEqual([...new Set(['awscli', 'curl', 'coreutils', ...workflow.packages])]);
      expect(userData.runcmd).toEqual([[RUNNER]]);
      expect(userData.power_state).toMatchObject({ mode: 'poweroff', condition: true });
      expect(userData.write_files.find((file: WriteFile) => file.path === RUNNER)).toMatchObject({ permissions: '0755', encoding: 'gz+b64' });

      const files = writtenFiles(read(userDataOf(c)));
      expect(Object.keys(files).sort()).toEqual([CASE_ENV, AGENT_CONFIG, JOB_LINE, RUNNER]);
      // The same case.env a Batch job unpacks; attempt 1, in a Batch manifest's line format.
      expect(files[CASE_ENV].text).toBe(read(caseEnvFile(c.id)));
      expect(files[JOB_LINE].text).toBe(`${c.id} 1\n`);
      expect(files[CASE_ENV].permissions).toBe('0644');
    }
    expect(theRunner(cases)).toMatch(/^#!\/usr\/bin\/env bash\n/);
  });

  it("has the CloudWatch agent ship the files the runner and cloud-init write, a stream per attempt, and the worker's metrics", () => {
    render();
    const runner = read(RUNNER_FILE);
    // The paths the runner writes when nothing overrides them (tests do, workers do not).
    const logDir = /LOG_DIR="\$\{PUSHBUTTON_LOG_DIR:-(\/[^}]+)\}"/.exec(runner)![1];
    const cloudInitLog = /CLOUD_INIT_LOG="\$\{PUSHBUTTON_CLOUD_INIT_LOG:-(\/[^}]+)\}"/.exec(runner)![1];
    expect(runner).toContain('readonly LOG_FILE="${LOG_DIR}/run-case.log"');
    for (const c of casesOf(shippedSettings())) {
      const config = JSON.parse(writtenFiles(read(userDataOf(c)))[AGENT_CONFIG].text);
      expect(config.logs.logs_collected.files.collect_list).toEqual([
        { file_path: `${logDir}/run-case.log`, log_group_name: '/pushbutton/pushbutton-demo/workflow', log_stream_name: `${c.id}/attempt-1/run-case`, timezone: 'UTC' },
        { file_path: cloudInitLog, log_group_name: '/pushbutton/pushbutton-demo/workflow', log_stream_name: `${c.id}/attempt-1/cloud-init`, timezone: 'UTC' },
      ]);
      expect(config.metrics).toMatchObject({ namespace: 'Pushbutton/pushbutton-demo', append_dimensions: { InstanceId: '${aws:InstanceId}' } });
    }
    expect(runner).toContain('"$AGENT_CTL" -a fetch-config -m ec2 -s -c "file:${CASE_DIR}/cloudwatch-agent.json"');
  });

  it('compresses the runner with a fixed gzip header: no name, mtime 0, Unix', () => {
    render();
    const [c] = casesOf(shippedSettings());
    const runner = (parseYaml(read(userDataOf(c))).write_files as WriteFile[]).find((file) => file.path === RUNNER)!;
    const header = Buffer.from(runner.content, 'base64').subarray(0, 10);
    expect([...header]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
  });

  it('carries one runner for every case, which passes bash -n and shellcheck', () => {
    render();
    expectCleanScript(theRunner(casesOf(shippedSettings())));
  });

  it("runs the case's workflow under its timeout and sends everything to the case's results", () => {
    render();
    const settings = shippedSettings();
    const cases = casesOf(settings);
    for (const c of cases) {
      const workflow = settings.workflows!.workflows[c.workflow];
      const caseEnv = writtenFiles(read(userDataOf(c)))[CASE_ENV].text;
      expect(
        sourcedValues(caseEnv, ['CASE_ID', 'CASE_LABEL', 'RESULTS_BASE', 'REGION', 'WORKDIR', 'COMMAND', 'TIMEOUT_MINUTES', 'WATCHDOG_MINUTES', 'VCPUS']),
      ).toEqual({
        CASE_ID: [c.id],
        CASE_LABEL: [c.label],
        RESULTS_BASE: [`s3://${BUCKET}/results/${c.id}/`],
        REGION: [settings.project.region],
        WORKDIR: [workflow.workdir],
        COMMAND: [workflow.command],
        TIMEOUT_MINUTES: [String(workflow.timeoutMinutes)],
        WATCHDOG_MINUTES: [String(workflow.timeoutMinutes + 30)],
        VCPUS: [String(workflow.vcpus)],
      });
      expect(sourcedValues(caseEnv, ['PACKAGES', 'SETUP', 'INPUTS', 'OUTPUTS'])).toEqual({
        PACKAGES: workflow.packages,
        SETUP: workflow.setup,
        INPUTS: c.inputs.flatMap((input) => [input.url, input.path]),
        OUTPUTS: workflow.outputs,
      });
      const json = sourcedValues(caseEnv, ['CONFIG_JSON', 'PARAMS_JSON', 'CASE_JSON']);
      expect(JSON.parse(json.CONFIG_JSON[0])).toEqual(workflow.config);
      expect(JSON.parse(json.PARAMS_JSON[0])).toEqual(c.parameters);
      expect(JSON.parse(json.CASE_JSON[0])).toEqual({ id: c.id, label: c.label, workflow: c.workflow, study: c.study ?? '', overrides: c.overrides });
    }
    const runner = theRunner(cases);
    expect(runner).toContain('source "$CASE_ENV" || exit\n');
    expect(runner).toContain('readonly RESULTS_URI="${RESULTS_BASE}attempt-${ATTEMPT}/"\n');
    expect(runner).toContain('timeout --kill-after=5m "${TIMEOUT_MINUTES}m" bash -c "$COMMAND"');
    expect(runner).toContain('shutdown -h "+${WATCHDOG_MINUTES}"');
    expect(runner).toContain('"${RESULTS_URI}_pushbutton/${status}.json"');
    expect(runner).toContain('"${RESULTS_URI}logs/run-case.log"');
    expect(runner).toContain('"${RESULTS_URI}outputs/${path}/"');
    expect(runner).toContain('aws s3 cp --region "$REGION"');
    const markerFormat = /printf '(\{"caseId".*\})\\n'/.exec(runner)?.[1];
    expect(markerFormat, 'the printf that writes the marker').toBeDefined();
    expect([...markerFormat!.matchAll(/"(\w+)":/g)].map((match) => match[1])).toEqual(MARKER_KEYS);
  });

  it('renders the same runner in a rehearsal, and case files that say it is one', () => {
    render();
    const cases = casesOf(shippedSettings());
    const liveRunner = theRunner(cases);
    const live = cases.map((c) => writtenFiles(read(userDataOf(c)))[CASE_ENV].text);
    render(shippedSettings(), fixtureFacts(), true);
    const notice = /^# REHEARSAL: .*\n/m;
    expect(theRunner(cases)).toBe(liveRunner);
    expect(liveRunner).not.toMatch(/REHEARSAL/);
    for (const [index, c] of cases.entries()) {
      const userData = read(userDataOf(c));
      const caseEnv = writtenFiles(userData)[CASE_ENV].text;
      expect(userData).toMatch(notice);
      expect(caseEnv).toMatch(notice);
      expect(caseEnv.replace(notice, '')).toBe(live[index]);
    }
  });
});

describe('a study of 64 cases', () => {
  function studySettings(): Settings {
    const settings = shippedSettings();
    const values = Array.from({ length: 8 }, (_, index) => index + 1);
    settings.workflows!.studies.grid = {
      name: 'grid',
      workflow: 'read_filtering',
      parameters: {},
      matrix: { 'workflows.read_filtering_posttrim_workflow.qual': values, 'workflows.read_filtering_pretrim_workflow.sample': values },
      include: [],
      exclude: [],
    };
    return settings;
  }

  it('renders the same bytes every time', () => {
    const first = render(studySettings());
    expect(first.length).toBeGreaterThanOrEqual(64);
    const second = join(temp, 'second');
    expect(render(studySettings(), fixtureFacts(), false, second)).toEqual(first);
    expect(snapshot(second)).toEqual(snapshot(outDir));
  });
});

describe('a hostile value', () => {
  // Run in the temp folder: if a value's command substitution ran, it would leave this file there.
  const HOSTILE = 'it\'s $(touch command-ran) `touch command-ran` "q" \\ !x\nline two: {a: [b]} #c';

  function hostileSettings(): Settings {
    const settings = shippedSettings();
    settings.workflows!.cases[0].label = HOSTILE;
    const workflow = settings.workflows!.workflows[settings.workflows!.cases[0].workflow];
    workflow.command = `printf '%s' ${JSON.stringify(HOSTILE)} # ${HOSTILE}`;
    workflow.setup = [HOSTILE];
    return settings;
  }

  it('sources back verbatim from case.env, and leaves the runner as it is', () => {
    render();
    const runner = theRunner(casesOf(shippedSettings()));
    const settings = hostileSettings();
    render(settings);
    const cases = casesOf(settings);
    const c = cases.find((each) => each.label === HOSTILE)!;
    const workflow = settings.workflows!.workflows[c.workflow];
    const caseEnv = writtenFiles(read(userDataOf(c)))[CASE_ENV].text;
    expect(sourcedValues(caseEnv, ['CASE_LABEL', 'COMMAND', 'SETUP'])).toEqual({
      CASE_LABEL: [HOSTILE],
      COMMAND: [workflow.command],
      SETUP: [HOSTILE],
    });
    expect(existsSync(join(temp, 'command-ran')), 'a command substitution in a value ran').toBe(false);
    expect(theRunner(cases)).toBe(runner);
  });

  it('parses back verbatim from user-data.yaml, which cloud-init still accepts', () => {
    const settings = hostileSettings();
    render(settings);
    const c = casesOf(settings).find((each) => each.label === HOSTILE)!;
    const caseEnv = writtenFiles(read(userDataOf(c)))[CASE_ENV].text;
    expect(JSON.parse(sourcedValues(caseEnv, ['CASE_JSON']).CASE_JSON[0]).label).toBe(HOSTILE);
    expectValidCloudConfig(userDataOf(c));
  });
});

describe('the workflow render plan', () => {
  it('is registered as the workflow-render unit, rendering templates/workflow', () => {
    expect(codeOf('render')['workflow-render']).toBe(workflowRenderItems);
  });

  it('gives the runner an item, and each case an item with the context the templates read', () => {
    const settings = shippedSettings();
    const [runner, ...items] = workflowRenderItems(settings, fixtureFacts(), false);
    const cases = casesOf(settings);
    expect([runner.templateDir, runner.outDir]).toEqual(['runner', '.']);
    expect(items.map((item) => [item.templateDir, item.outDir, item.filePrefix])).toEqual(cases.map((c) => ['case', 'cases', `${c.id}.`]));
    const single = cases.find((c) => !c.study)!;
    const { context } = items[cases.indexOf(single)];
    expect(context).toEqual({
      project: { name: settings.project.name, region: settings.project.region },
      rehearsal: false,
      case: { ...single, study: '' },
      attempt: 1,
      monitoring: {
        namespace: 'Pushbutton/pushbutton-demo',
        logGroup: '/pushbutton/pushbutton-demo/workflow',
        overdueShare: 0.8,
        agentMetrics: expect.objectContaining({ namespace: 'Pushbutton/pushbutton-demo' }),
      },
      workflow: settings.workflows!.workflows[single.workflow],
      results: { bucket: BUCKET, prefix: 'results', uri: `s3://${BUCKET}/results/${single.id}/` },
      config: settings,
      facts: fixtureFacts(),
      gzipBase64: expect.any(Function),
    });
    expect(items.find((item) => (item.context.case as WorkflowCase).study)?.context.case).toMatchObject({ study: 'trimming-sweep' });
  });

  it('names the unit and the fact that is missing', () => {
    const facts = fixtureFacts();
    delete facts.workflow.results_prefix;
    expect(() => workflowRenderItems(shippedSettings(), facts, false)).toThrow(
      'Rendering the workflow step needs fact results_prefix of workflow, which is missing: apply workflow again.',
    );
    expect(() => workflowRenderItems(shippedSettings(), {}, false)).toThrow(
      'Rendering the workflow step needs the facts of workflow, which were not read: apply workflow first.',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The runner, run once in a sandbox

/** Records each call, one line of shell-quoted words, in $STUB_CALLS. */
const RECORD_CALL = `printf '%q ' "$(basename "$0")" "$@" >>"$STUB_CALLS"; echo >>"$STUB_CALLS"`;

/** `aws s3 cp`, with s3://<bucket>/<key> a path under $FAKE_S3. */
/**
 * `aws s3 cp`, with s3://<bucket>/<key> a path under $FAKE_S3; and `aws cloudwatch put-metric-data`,
 * each call's namespace and metric data one JSON line in $FAKE_METRICS.
 */
const AWS_STUB = `#!/usr/bin/env bash
${RECORD_CALL}
if [[ $1 == cloudwatch && $2 == put-metric-data ]]; then
  while (($#)); do
    case $1 in
      --namespace) namespace=$2 && shift 2 ;;
      --metric-data) data=$2 && shift 2 ;;
      *) shift ;;
    esac
  done
  printf '{"namespace":"%s","data":%s}\\n' "$namespace" "$data" >>"$FAKE_METRICS"
  exit 0
fi
[[ $1 == s3 && $2 == cp ]] || exit 2
shift 2
paths=() recursive=false
while (($#)); do
  case $1 in
    --region | --content-type) shift 2 ;;
    --recursive) recursive=true && shift ;;
    --*) shift ;;
    *) paths+=("$1") && shift ;;
  esac
done
local_path() { if [[ $1 == s3://* ]]; then printf '%s/%s' "$FAKE_S3" "\${1#s3://}"; else printf '%s' "$1"; fi; }
from=$(local_path "\${paths[0]}") to=$(local_path "\${paths[1]}")
[[ -e $from ]] || { echo "aws stub: \${paths[0]} does not exist" >&2; exit 1; }
mkdir -p "$(dirname "$to")"
if $recursive; then mkdir -p "$to" && cp -R "$from/." "$to"; else cp "$from" "$to"; fi
`;

/** The instance metadata service, and downloads that save a line naming the URL (or fail with 22 for a URL with "missing"). */
const CURL_STUB = `#!/usr/bin/env bash
${RECORD_CALL}
output= url=
while (($#)); do
  case $1 in
    --output) output=$2 && shift 2 ;;
    --request | --header | --max-time | --retry) shift 2 ;;
    --*) shift ;;
    *) url=$1 && shift ;;
  esac
done
case $url in
  http://169.254.169.254/latest/api/token) printf 'imds-token' ;;
  http://169.254.169.254/latest/meta-data/instance-id) printf 'i-0123456789abcdef0' ;;
  *missing*) echo "curl: (22) The requested URL returned error: 404" >&2 && exit 22 ;;
  *) printf 'downloaded from %s\\n' "$url" >"$output" ;;
esac
`;

const SHUTDOWN_STUB = `#!/usr/bin/env bash\n${RECORD_CALL}\n`;
/** apt-get, which a Batch job's bootstrap and runner call: recorded, nothing installed. */
const APT_STUB = SHUTDOWN_STUB;

interface SandboxRun {
  status: number | null;
  output: string;
  /** What the stubs were called with, one line per call. */
  calls: string[];
  /** The attempt's results folder in the fake bucket. */
  results: string;
  workdir: string;
  c: WorkflowCase;
}

/** The shipped config with its workflows' working folder in the sandbox and a harmless command, inputs and outputs. */
function sandboxSettings(change: Partial<WorkflowDefinition>): Settings {
  const settings = shippedSettings();
  for (const workflow of Object.values(settings.workflows!.workflows)) {
    Object.assign(workflow, {
      workdir: join(temp, 'work'),
      setup: ['echo setting up'],
      command: 'echo hi > out.txt',
      inputs: [
        { url: 'https://example.org/reads_1.fq.gz', path: 'data/reads_1.fq.gz' },
        { url: 's3://public-inputs/reference.fa', path: 'data/reference.fa' },
      ],
      outputs: ['out.txt', 'data'],
      ...change,
    });
  }
  return settings;
}

/** The stubs first on PATH, a fake bucket with a public input, and the environment to run with. */
function sandbox(): { bucket: string; env: NodeJS.ProcessEnv; calls: string } {
  const [bin, bucket, logDir] = ['bin', 'bucket', 'logs'].map((name) => join(temp, name));
  mkdirSync(bin);
  writeFileSync(join(bin, 'aws'), AWS_STUB, { mode: 0o755 });
  writeFileSync(join(bin, 'curl'), CURL_STUB, { mode: 0o755 });
  writeFileSync(join(bin, 'shutdown'), SHUTDOWN_STUB, { mode: 0o755 });
  writeFileSync(join(bin, 'apt-get'), APT_STUB, { mode: 0o755 });
  writeFileSync(join(bin, 'dpkg'), APT_STUB, { mode: 0o755 });
  writeFileSync(join(bin, 'amazon-cloudwatch-agent-ctl'), APT_STUB, { mode: 0o755 });
  mkdirSync(join(bucket, 'public-inputs'), { recursive: true });
  writeFileSync(join(bucket, 'public-inputs', 'reference.fa'), '>reference\nACGT\n');
  const calls = join(temp, 'calls');
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    STUB_CALLS: calls,
    FAKE_S3: bucket,
    FAKE_METRICS: join(temp, 'metrics.jsonl'),
    PUSHBUTTON_LOG_DIR: logDir,
    PUSHBUTTON_AGENT_CTL: join(bin, 'amazon-cloudwatch-agent-ctl'),
    // A credential in the environment, which no log line may carry.
    AWS_SECRET_ACCESS_KEY: SECRET,
  };
  return { bucket, env, calls };
}

const recordedCalls = (calls: string) => (existsSync(calls) ? readFileSync(calls, 'utf8').trimEnd().split('\n').map((line) => line.trimEnd()) : []);

/**
 * Renders the single case of the shipped config with a harmless workflow in the temp folder, writes
 * the files its user-data has cloud-init write (the case's into the sandbox case folder, less those
 * named in `missing`), and runs the runner as cloud-init would, with the stubs first on PATH.
 */
function runCaseInSandbox(change: Partial<WorkflowDefinition> = {}, missing: string[] = [], more: NodeJS.ProcessEnv = {}): SandboxRun {
  const settings = sandboxSettings(change);
  settings.workflows!.studies = {};
  render(settings);
  const [c] = casesOf(settings);

  const { bucket, env, calls } = sandbox();
  const caseDir = join(temp, 'case');
  mkdirSync(caseDir);
  const files = writtenFiles(read(userDataOf(c)));
  for (const [path, file] of Object.entries(files)) {
    const name = path.slice(CASE_FILES.length);
    if (path.startsWith(CASE_FILES) && !missing.includes(name)) writeFileSync(join(caseDir, name), file.text);
  }
  const runner = join(temp, 'run-case.sh');
  writeFileSync(runner, files[RUNNER].text, { mode: 0o755 });
  const cloudInitLog = join(temp, 'cloud-init-output.log');
  writeFileSync(cloudInitLog, 'Cloud-init v. 22.4 running modules:final\n');

  const { status, output } = runTool(runner, [], { cwd: temp, env: { ...env, PUSHBUTTON_CASE_DIR: caseDir, PUSHBUTTON_CLOUD_INIT_LOG: cloudInitLog, ...more } });
  return { status, output, calls: recordedCalls(calls), results: join(bucket, BUCKET, 'results', c.id, 'attempt-1'), workdir: join(temp, 'work'), c };
}

/**
 * A study's cases as one Batch array job: the submission's manifest and pack (the same code the
 * submission uploads them with) in the fake bucket, then the job's bootstrap run as a child of
 * `index` would run, with the stubs first on PATH.
 */
async function runBatchChildInSandbox(index: number, attempts: number[]): Promise<SandboxRun & { manifest: string }> {
  const settings = sandboxSettings({});
  render(settings);
  const cases = casesOf(settings).filter((c) => c.study === 'trimming-sweep');
  const launches = cases.map((workflowCase, i) => ({ workflowCase, attempt: attempts[i] ?? 1 }));
  const { bucket, env, calls } = sandbox();
  const job = join(bucket, BUCKET, '_pushbutton/jobs/lab-trimming-sweep-0123456789ab');
  mkdirSync(job, { recursive: true });
  writeFileSync(join(job, 'job.tar.gz'), await jobPack(outDir, cases));
  writeFileSync(join(job, 'manifest.txt'), manifestText(launches));

  const home = join(temp, 'home');
  const childEnv = {
    ...env,
    PUSHBUTTON_HOME: home,
    PUSHBUTTON_ENGINE: 'batch',
    PUSHBUTTON_JOB_URI: `s3://${BUCKET}/_pushbutton/jobs/lab-trimming-sweep-0123456789ab/`,
    AWS_BATCH_JOB_ARRAY_INDEX: String(index),
    AWS_BATCH_JOB_ID: `d0b1c2e3-0000-4000-8000-000000000000:${index}`,
  };
  const { status, output } = runTool('bash', ['-c', BATCH_BOOTSTRAP], { cwd: temp, env: childEnv });
  const { workflowCase, attempt } = launches[index];
  const results = join(bucket, BUCKET, 'results', workflowCase.id, `attempt-${attempt}`);
  return { status, output, calls: recordedCalls(calls), results, workdir: join(temp, 'work'), c: workflowCase, manifest: manifestText(launches) };
}

/** A value no output of the runner may show. */
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

/** The metrics the run published: per call, its namespace and metric data. */
const metricsOf = () =>
  existsSync(join(temp, 'metrics.jsonl'))
    ? readFileSync(join(temp, 'metrics.jsonl'), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { namespace: string; data: { MetricName: string; Dimensions?: { Name: string; Value: string }[] }[] })
    : [];

/** The one marker the run left, parsed. */
function markerOf(run: SandboxRun): { name: string; marker: Record<string, unknown> } {
  const markers = readdirSync(join(run.results, '_pushbutton'));
  expect(markers, 'exactly one completion marker').toHaveLength(1);
  return { name: markers[0], marker: JSON.parse(readFileSync(join(run.results, '_pushbutton', markers[0]), 'utf8')) };
}

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe('the runner in a sandbox', () => {
  it('runs every stage, uploads outputs and logs, marks the case succeeded and shuts down', () => {
    const run = runCaseInSandbox();
    expect(run.status, run.output).toBe(0);

    const { name, marker } = markerOf(run);
    expect(name).toBe('succeeded.json');
    expect(Object.keys(marker)).toEqual(MARKER_KEYS);
    expect(marker).toMatchObject({ caseId: run.c.id, attempt: 1, engine: 'ec2', status: 'succeeded', exitCode: 0, stage: 'finished', worker: 'i-0123456789abcdef0' });
    expect(marker.startedAt).toMatch(ISO_UTC);
    expect(marker.finishedAt).toMatch(ISO_UTC);
    expect(marker.seconds).toBeGreaterThanOrEqual(0);

    expect(readFileSync(join(run.results, 'outputs', 'out.txt'), 'utf8')).toBe('hi\n');
    expect(readFileSync(join(run.results, 'outputs', 'data', 'reads_1.fq.gz'), 'utf8')).toBe('downloaded from https://example.org/reads_1.fq.gz\n');
    expect(readFileSync(join(run.results, 'outputs', 'data', 'reference.fa'), 'utf8')).toBe('>reference\nACGT\n');
    const log = readFileSync(join(run.results, 'logs', 'run-case.log'), 'utf8');
    for (const line of ['Stage setup', 'Setup: echo setting up', 'setting up', 'Stage inputs', 'Stage config', 'Stage run', 'Stage outputs']) {
      expect(log).toContain(line);
    }
    expect(log).toMatch(/succeeded in stage finished with exit code 0\n$/);
    expect(readFileSync(join(run.results, 'logs', 'cloud-init-output.log'), 'utf8')).toContain('Cloud-init');

    expect(JSON.parse(readFileSync(join(run.workdir, 'params.json'), 'utf8'))).toEqual(run.c.parameters);
    expect(JSON.parse(readFileSync(join(run.workdir, 'config.json'), 'utf8'))).toEqual(shippedSettings().workflows!.workflows[run.c.workflow].config);
    expect(JSON.parse(readFileSync(join(run.results, 'case.json'), 'utf8'))).toMatchObject({ id: run.c.id, label: run.c.label, workflow: run.c.workflow });
    // cloud-init installed the packages on EC2.
    expect(run.calls.filter((call) => call.startsWith('apt-get'))).toEqual([]);

    const timeout = shippedSettings().workflows!.workflows[run.c.workflow].timeoutMinutes;
    expect(run.calls[0]).toBe(`shutdown -h +${timeout + 30}`);
    expect(run.calls.at(-1)).toBe('shutdown -h now');
    expect(run.calls).toContain(
      'curl --silent --fail --max-time 5 --request PUT --header X-aws-ec2-metadata-token-ttl-seconds:\\ 300 http://169.254.169.254/latest/api/token',
    );
    expect(run.calls).toContain('curl --fail --location --retry 3 --silent --show-error --output ' +
      `${join(run.workdir, 'data/reads_1.fq.gz')} https://example.org/reads_1.fq.gz`);
    const region = shippedSettings().project.region;
    expect(run.calls.filter((call) => call.includes('--no-sign-request'))).toEqual([
      `aws s3 cp --region ${region} --only-show-errors --no-sign-request s3://public-inputs/reference.fa ${join(run.workdir, 'data/reference.fa')}`,
    ]);
    const uploads = run.calls.filter((call) => call.startsWith('aws') && call.includes(` s3://${BUCKET}/`)).map((call) => call.split(' ').at(-1));
    const uri = `s3://${BUCKET}/results/${run.c.id}/attempt-1/`;
    expect(uploads).toEqual([
      `${uri}outputs/out.txt`,
      `${uri}outputs/data/`,
      `${uri}case.json`,
      `${uri}logs/run-case.log`,
      `${uri}logs/cloud-init-output.log`,
      `${uri}_pushbutton/succeeded.json`,
    ]);
  });

  it("starts the CloudWatch agent with the case's config, and publishes the case's start and end, by study, workflow and state", () => {
    const run = runCaseInSandbox();
    expect(run.status, run.output).toBe(0);
    const region = shippedSettings().project.region;
    expect(run.calls).toContain(`dpkg -i -E /tmp/amazon-cloudwatch-agent.deb`);
    expect(run.calls).toContain(`amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${join(temp, 'case')}/cloudwatch-agent.json`);
    expect(run.calls.some((call) => call.endsWith(`https://amazoncloudwatch-agent-${region}.s3.${region}.amazonaws.com/ubuntu/amd64/latest/amazon-cloudwatch-agent.deb`))).toBe(true);
    const metrics = metricsOf();
    expect(metrics.map((m) => m.namespace)).toEqual(['Pushbutton/pushbutton-demo', 'Pushbutton/pushbutton-demo']);
    const byState = (state: string) => [
      { MetricName: 'Cases', Dimensions: [{ Name: 'Study', Value: 'none' }, { Name: 'Workflow', Value: run.c.workflow }, { Name: 'State', Value: state }], Value: 1, Unit: 'Count' },
      { MetricName: 'Cases', Dimensions: [{ Name: 'State', Value: state }], Value: 1, Unit: 'Count' },
    ];
    expect(metrics.map((m) => m.data)).toEqual([byState('started'), byState('succeeded')]);
  });

  it("publishes the overdue metric once the run passes its share of the timeout, and never for a run that ends before", () => {
    runCaseInSandbox({ command: 'sleep 2; echo hi > out.txt' }, [], { PUSHBUTTON_OVERDUE_SECONDS: '0' });
    expect(metricsOf().map((m) => m.data[0].MetricName)).toEqual(['Cases', 'Overdue', 'Cases']);
    rmSync(join(temp, 'metrics.jsonl'));
    rmSync(join(temp, 'bin'), { recursive: true });
    rmSync(join(temp, 'case'), { recursive: true });
    runCaseInSandbox({ command: 'echo hi > out.txt' }, [], { PUSHBUTTON_OVERDUE_SECONDS: '30' });
    expect(metricsOf().map((m) => m.data[0].MetricName)).toEqual(['Cases', 'Cases']);
  });

  it('never prints a credential from its environment, to its output, its log or the log it uploads', () => {
    const run = runCaseInSandbox({ command: 'echo partial > out.txt; exit 3' });
    expect(run.output).not.toContain(SECRET);
    expect(readFileSync(join(temp, 'logs', 'run-case.log'), 'utf8')).not.toContain(SECRET);
    expect(readFileSync(join(run.results, 'logs', 'run-case.log'), 'utf8')).not.toContain(SECRET);
  });

  it('marks a failing workflow failed with its exit code, still uploading what it left, the logs, and shutting down', () => {
    const run = runCaseInSandbox({ command: 'echo partial > out.txt; exit 3' });
    expect(run.status, run.output).toBe(3);
    expect(markerOf(run)).toMatchObject({ name: 'failed.json', marker: { status: 'failed', exitCode: 3, stage: 'run' } });
    expect(readFileSync(join(run.results, 'outputs', 'out.txt'), 'utf8')).toBe('partial\n');
    expect(readFileSync(join(run.results, 'logs', 'run-case.log'), 'utf8')).toContain('failed in stage run with exit code 3');
    expect(run.calls.at(-1)).toBe('shutdown -h now');
  });

  it('says which stage failed when an input cannot be fetched, and never runs the workflow', () => {
    const run = runCaseInSandbox({ inputs: [{ url: 'https://example.org/missing.fq.gz', path: 'data/missing.fq.gz' }] });
    expect(run.status, run.output).toBe(22);
    expect(markerOf(run)).toMatchObject({ name: 'failed.json', marker: { status: 'failed', exitCode: 22, stage: 'inputs' } });
    expect(existsSync(join(run.workdir, 'out.txt'))).toBe(false);
    expect(existsSync(join(run.results, 'outputs'))).toBe(false);
    expect(existsSync(join(run.results, 'logs', 'run-case.log'))).toBe(true);
    expect(run.calls.at(-1)).toBe('shutdown -h now');
  });

  it("reports timeout's exit code 124 as timed-out", () => {
    const run = runCaseInSandbox({ command: 'exit 124' });
    expect(markerOf(run)).toMatchObject({ name: 'timed-out.json', marker: { status: 'timed-out', exitCode: 124, stage: 'run' } });
  });

  it('stops before it does anything when case.env cannot be read', () => {
    const run = runCaseInSandbox({}, ['case.env']);
    expect(run.status, run.output).toBe(1);
    expect(run.output).toContain('case.env: No such file or directory');
    expect(run.calls).toEqual([]);
    expect(existsSync(run.results)).toBe(false);
  });

  it('stops before it does anything when it cannot tell which case it runs', () => {
    const run = runCaseInSandbox({}, ['job']);
    expect(run.status, run.output).not.toBe(0);
    expect(run.calls).toEqual([]);
    expect(existsSync(run.results)).toBe(false);
  });

  it('fails the case when a declared output is missing', () => {
    const run = runCaseInSandbox({ outputs: ['out.txt', 'results/*.tsv'] });
    expect(markerOf(run)).toMatchObject({ name: 'failed.json', marker: { status: 'failed', exitCode: 1, stage: 'outputs' } });
    expect(readFileSync(join(run.results, 'logs', 'run-case.log'), 'utf8')).toContain('Output results/*.tsv is missing');
  });
});

describe('the runner as a Batch array child', () => {
  it("picks its case and attempt from its index's line of the manifest, runs it, and writes its marker under that attempt", async () => {
    const run = await runBatchChildInSandbox(1, [1, 3, 1, 1]);
    expect(run.status, run.output).toBe(0);
    expect(run.manifest.split('\n')[1]).toBe(`${run.c.id} 3`);

    const { name, marker } = markerOf(run);
    expect(name).toBe('succeeded.json');
    expect(marker).toMatchObject({ caseId: run.c.id, attempt: 3, engine: 'batch', status: 'succeeded', stage: 'finished', worker: 'd0b1c2e3-0000-4000-8000-000000000000:1' });
    expect(readFileSync(join(run.results, 'outputs', 'out.txt'), 'utf8')).toBe('hi\n');
    expect(JSON.parse(readFileSync(join(run.workdir, 'params.json'), 'utf8'))).toEqual(run.c.parameters);
    expect(JSON.parse(readFileSync(join(run.results, 'case.json'), 'utf8'))).toMatchObject({ id: run.c.id, study: 'trimming-sweep' });
  });

  it('fetches its pack and manifest, installs the packages itself, and neither reads instance metadata nor shuts the host down', async () => {
    const run = await runBatchChildInSandbox(0, []);
    expect(run.status, run.output).toBe(0);
    const packages = shippedSettings().workflows!.workflows[run.c.workflow].packages;
    expect(run.calls).toContain(`aws s3 cp --only-show-errors s3://${BUCKET}/_pushbutton/jobs/lab-trimming-sweep-0123456789ab/job.tar.gz ${join(temp, 'home', 'job.tar.gz')}`);
    expect(run.calls).toContain(`aws s3 cp --only-show-errors s3://${BUCKET}/_pushbutton/jobs/lab-trimming-sweep-0123456789ab/manifest.txt ${join(temp, 'home', 'manifest.txt')}`);
    expect(run.calls).toContain(`apt-get install -y -qq ${packages.join(' ')}`);
    expect(run.calls.filter((call) => call.startsWith('shutdown') || call.includes('169.254.169.254'))).toEqual([]);
    expect(markerOf(run).marker).toMatchObject({ caseId: run.c.id, attempt: 1 });
  });

  it('fails its job, without a marker, when the manifest has no line for its index', async () => {
    const run = await runBatchChildInSandbox(0, []).then(() => undefined);
    expect(run).toBeUndefined();
    const again = join(temp, 'again');
    mkdirSync(again);
    const env = { ...process.env, PUSHBUTTON_ENGINE: 'batch', PUSHBUTTON_HOME: join(temp, 'home'), PUSHBUTTON_JOB_URI: `s3://${BUCKET}/_pushbutton/jobs/lab-trimming-sweep-0123456789ab/`, AWS_BATCH_JOB_ARRAY_INDEX: '99', PATH: `${join(temp, 'bin')}:${process.env.PATH}`, STUB_CALLS: join(temp, 'calls'), FAKE_S3: join(temp, 'bucket'), PUSHBUTTON_LOG_DIR: join(temp, 'logs') };
    const { status, output } = runTool(join(temp, 'home', 'run-case.sh'), [], { cwd: again, env });
    expect(status).toBe(1);
    expect(output).toContain("No case for this worker: expected '<case id> <attempt>', found ''");
  });
});
