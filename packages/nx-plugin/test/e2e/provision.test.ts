import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TempWorkspace } from './temp-workspace';

// Terraform and Nx run for real here: minutes, not seconds.
jest.setTimeout(300_000);

const REHEARSE = ['run', 'infra:provision:rehearse'];
const NETWORK_FACTS = '.pushbutton/facts/rehearse/network.json';
const SYNTHESIZED = '.pushbutton/synth/network/stacks/network/cdk.tf.json';
const RENDERED = '.pushbutton/render/rehearse/core';
const CORE_BUNDLE = '.pushbutton/bundles/rehearse/pushbutton-core-lab-gateway.tar.gz';
const DEVICE_KEY = '.pushbutton/keys/rehearse/lab-gateway/private.pem.key';
const STEP_TASKS = ['infra:network:rehearse', 'infra:core:rehearse', 'infra:workflow:rehearse'];
const WORKFLOW_TASKS = ['infra:workflow-synth', 'infra:workflow-apply:rehearse', 'infra:workflow-render:rehearse', 'infra:workflow-launch:rehearse'];
const CORE_TASKS = [
  'infra:core-account-synth',
  'infra:core-account-apply:rehearse',
  'infra:core-account-link:rehearse',
  'infra:core-components:rehearse',
  'infra:core-devices-synth',
  'infra:core-devices-apply:rehearse',
  'infra:core-deploy:rehearse',
  'infra:core-render:rehearse',
  'infra:core-deliver:rehearse',
];

/** A study of 4 x 13 = 52 cases, as analysts write them. */
const BIG_STUDY = `
  e2e-sweep:
    workflow: read_filtering
    matrix:
      workflows.read_filtering_pretrim_workflow.sample: [[s1], [s2], [s3], [s4]]
      workflows.read_filtering_posttrim_workflow.qual: [['3'], ['5'], ['7'], ['9'], ['11'], ['13'], ['17'], ['19'], ['21'], ['23'], ['25'], ['27'], ['29']]
`;
/** The shipped config's 10 cases (a single case and two studies), and the study above. */
const ALL_CASES = 10 + 52;

let ws: TempWorkspace;
beforeAll(() => {
  ws = TempWorkspace.create();
  ws.edit('config/workflows.yaml', (text) => `${text.trimEnd()}\n${BIG_STUDY}`);
  ws.commit('a study of 52 cases');
});
afterAll(() => ws?.dispose());

function rehearse() {
  const result = ws.nx(REHEARSE);
  expect(result.code, result.output).toBe(0);
  expect(ws.gitStatus(), 'a run leaves the working tree clean').toBe('');
  return { ...result, tasks: ws.lastRun() };
}

const executed = (tasks: Record<string, string>) => Object.keys(tasks).filter((task) => tasks[task] === 'cache-miss').sort();

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('provisioning rehearsed end to end, in a temporary git clone', () => {
  it("provisions one step with its target: every unit of the core step, its summary, and nothing of the others", () => {
    const result = ws.nx(['run', 'infra:core:rehearse']);
    expect(result.code, result.output).toBe(0);
    expect(executed(ws.lastRun())).toEqual(['infra:validate', ...CORE_TASKS, 'infra:core:rehearse'].sort());
    expect(result.output).toContain('Rehearsed the core step (mock values; nothing exists in AWS).');
    expect(ws.gitStatus()).toBe('');
  });

  it('provisions all three steps offline (network, core install, workflow launch), and says what it made and where the facts are', () => {
    const { output, tasks } = rehearse();
    // The core step is done already (above): its tasks are cache hits.
    expect(executed(tasks)).toEqual(
      ['infra:network-synth', 'infra:network-apply:rehearse', 'infra:network:rehearse', 'infra:workflow:rehearse', 'infra:provision:rehearse', ...WORKFLOW_TASKS].sort(),
    );
    expect(Object.keys(tasks).sort()).toEqual(['infra:validate', ...STEP_TASKS, 'infra:network-synth', 'infra:network-apply:rehearse', 'infra:provision:rehearse', ...CORE_TASKS, ...WORKFLOW_TASKS].sort());
    expect(output).toContain('Rehearsed every step (mock values; nothing exists in AWS).');
    expect(output).toContain('Plan: 8 to add, 0 to change, 0 to destroy.');
    expect(output).toContain('Mock apply complete! Resources: 8 in memory, none in AWS.');
    expect(output).toContain(`Facts (mock values): ${NETWORK_FACTS}`);
    const facts = JSON.parse(ws.read(NETWORK_FACTS));
    expect(facts).toMatchObject({ unit: 'network', rehearsal: true });
    expect(Object.keys(facts.values).sort()).toEqual(['security_group_id', 'subnet_id', 'vpc_id']);
  });

  it('renders the device bundle with mock facts, packs it with the key at 0600, and skips delivery, saying so', () => {
    const { output } = ws.nx(REHEARSE);
    expect(output).toContain(`lab-gateway: packed ${CORE_BUNDLE}; delivery skipped (rehearsal)`);
    const config = ws.read(`${RENDERED}/devices/lab-gateway/config.yaml`);
    expect(config).toContain('thingName: "pushbutton-demo-lab-gateway"');
    expect(config).toContain('iotDataEndpoint: "rehearsal-0000000000-ats.iot.us-west-2.amazonaws.com"');
    expect(statSync(ws.path(DEVICE_KEY)).mode & 0o777).toBe(0o600);
    expect(statSync(ws.path(CORE_BUNDLE)).mode & 0o777).toBe(0o600);
    const listing = execFileSync('tar', ['-tvzf', ws.path(CORE_BUNDLE)], { encoding: 'utf8' });
    expect(listing).toMatch(/-rw------- .* pushbutton-core-lab-gateway\/private\.pem\.key/);
    expect(listing).toMatch(/-rwxr-xr-x .* pushbutton-core-lab-gateway\/install\.sh/);
  });

  it('executes nothing the second time: every task is a cache hit', () => {
    const { tasks, output } = rehearse();
    expect(executed(tasks)).toEqual([]);
    expect(Object.keys(tasks)).toHaveLength(CORE_TASKS.length + WORKFLOW_TASKS.length + STEP_TASKS.length + 4);
    expect(output).toContain('network            vpc_id');
    expect(output).toContain('workflow dashboard_url: https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2#dashboards/dashboard/pushbutton-demo-workflow');
  });

  it('renders every case of the study and plans every launch, without calling AWS', () => {
    const files = readdirSync(ws.path('.pushbutton/render/rehearse/workflow/cases'));
    // Per case its case.env (a Batch job's) and its user-data (an EC2 worker's).
    expect(files).toHaveLength(2 * ALL_CASES);
    for (const file of files.filter((name) => name.endsWith('.user-data.yaml')).slice(0, 3)) {
      const userData = ws.path(`.pushbutton/render/rehearse/workflow/cases/${file}`);
      expect(execFileSync('cloud-init', ['schema', '--config-file', userData], { encoding: 'utf8' })).toContain('Valid cloud-config');
    }
    const launch = JSON.parse(ws.read('.pushbutton/facts/rehearse/workflow-launch.json'));
    // The Batch engine: every case would be submitted at once.
    expect(launch.values).toMatchObject({ engine: 'batch', cases: ALL_CASES, waiting: 0, running: 0 });
    expect(launch.values.launched).toHaveLength(ALL_CASES);
    const status = ws.nx(['run', 'infra:status:rehearse', '--json', '--quiet']);
    expect(status.code, status.output).toBe(0);
    const ledger = JSON.parse(status.output.slice(status.output.indexOf('['), status.output.lastIndexOf(']') + 1));
    expect(ledger).toHaveLength(ALL_CASES);
    expect(ledger[0]).toMatchObject({ state: 'planned (rehearsal)', workflow: 'taxonomic_classification' });
    const report = ws.nx(['run', 'infra:report:rehearse']);
    expect(report.code, report.output).toBe(0);
    expect(report.output).toContain(`Wrote the study report of ${ALL_CASES} cases: .pushbutton/reports/rehearse/study-report.html`);
    expect(ws.read('.pushbutton/reports/rehearse/study-report.html')).toContain('<h2>Study e2e-sweep · 52 cases</h2>');
  });

  it('renders and plans exactly one case when one is added; the network and core install steps are cache hits', () => {
    ws.edit('config/workflows.yaml', (text) =>
      text.replace('cases:\n', 'cases:\n  - workflow: read_filtering\n    label: one more\n    parameters: { workflows: { read_filtering_posttrim_workflow: { qual: ["40"] } } }\n'),
    );
    ws.commit('one more case');
    const { tasks, output } = rehearse();
    expect(executed(tasks)).toEqual([
      'infra:provision:rehearse',
      'infra:validate',
      'infra:workflow-launch:rehearse',
      'infra:workflow-render:rehearse',
      'infra:workflow-synth',
      'infra:workflow:rehearse',
    ]);
    expect(output).toContain(`${2 * ALL_CASES + 3} files: 2 new, 0 changed, 0 removed, ${2 * ALL_CASES + 1} unchanged`);
    expect(output).toMatch(/Would submit 1 case to the Batch queue as 1 job \(0 array jobs\):\n\s+job pushbutton-demo-c-[0-9a-f]{12}-a1: c-[0-9a-f]{12} \(one more\)/);
    expect(output).toContain(`${ALL_CASES} cases were already planned by an earlier rehearsal:`);
  });

  it('leaves no private key material in the Nx cache, Terraform state or plan files, or any tracked file', () => {
    const keys = ['lab-gateway', 'lab-sensor'].map((device) => ws.read(`.pushbutton/keys/rehearse/${device}/private.pem.key`));
    const body = keys.flatMap((key) => key.split('\n').filter((line) => line && !line.startsWith('-----')));
    const pemHeader = /-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;
    const leaks = (file: string) => {
      const text = readFileSync(file, 'latin1');
      return pemHeader.test(text) || body.some((line) => text.includes(line));
    };
    const terraformFiles = filesUnder(ws.path('.pushbutton')).filter(
      (file) => /tfstate|tfplan|rehearsal-state\.json|\.tfvars\.json|\.tf\.json$/.test(file) && !file.includes('/.terraform/'),
    );
    expect(terraformFiles.length).toBeGreaterThan(5);
    const tracked = ws.git('ls-files').split('\n').filter(Boolean).map((file) => ws.path(file));
    for (const file of [...filesUnder(ws.cacheDir), ...terraformFiles, ...tracked]) {
      expect(leaks(file), file).toBe(false);
    }
  });

  it('re-runs only the core install step when one of its templates changes', () => {
    ws.edit('templates/core/device/README.md.ejs', (text) => `${text}\nAsk the lab's research engineers for help.\n`);
    ws.commit('README for the person at the device');
    const { tasks } = rehearse();
    // The facts are the same, so the summaries of the step and of provision come from the cache too.
    expect(executed(tasks)).toEqual(['infra:core-deliver:rehearse', 'infra:core-render:rehearse']);
    expect(ws.read(`${RENDERED}/devices/lab-gateway/README.md`)).toContain("Ask the lab's research engineers for help.");
  });

  it('re-synthesizes, but does not re-apply, after an edit that leaves the Terraform unchanged', () => {
    const synthesized = ws.read(SYNTHESIZED);
    ws.edit('config/network.yaml', (text) => {
      const [head, subnet] = [text.match(/^vpcCidr: .*\n/m)![0], text.match(/^subnet:\n(  .*\n)+/m)![0]];
      return text.replace(head, '').replace(subnet, `# The subnet first, now.\n${subnet}${head}`);
    });
    ws.commit('reorder network.yaml');
    const { tasks } = rehearse();
    expect(executed(tasks)).toEqual(['infra:network-synth', 'infra:validate']);
    expect(ws.read(SYNTHESIZED)).toBe(synthesized);
  });

  it('re-synthesizes and re-applies the network after an edit that changes its Terraform; the core step is untouched', () => {
    ws.edit('config/network.yaml', (text) => text.replace('cidr: 10.20.1.0/24', 'cidr: 10.20.2.0/24'));
    ws.commit('move the subnet');
    const { tasks } = rehearse();
    // The facts are the same (mock ids follow resource addresses), so nothing after the apply runs again.
    expect(executed(tasks)).toEqual(['infra:network-apply:rehearse', 'infra:network-synth', 'infra:validate']);
    expect(ws.read(SYNTHESIZED)).toContain('"cidr_block": "10.20.2.0/24"');
  });

  it('applies again when the state is gone', () => {
    rmSync(ws.path('.pushbutton/rehearse/network/rehearsal-state.json'));
    const { tasks } = rehearse();
    expect(executed(tasks)).toEqual(['infra:network-apply:rehearse']);
    expect(existsSync(ws.path('.pushbutton/rehearse/network/rehearsal-state.json'))).toBe(true);
  });

  it('rejects bad config before any target runs, and changes no state or facts', () => {
    const facts = ws.read(NETWORK_FACTS);
    const state = ws.read('.pushbutton/rehearse/network/rehearsal-state.json');
    ws.edit('config/network.yaml', (text) => text.replace('cidr: 10.20.2.0/24', 'cidr: 10.99.2.0/24'));
    const result = ws.nx(REHEARSE);
    ws.git('checkout', '--', 'config/network.yaml');
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(
      'config/network.yaml:7:9 subnet.cidr: expected a CIDR block inside vpcCidr 10.20.0.0/16; found "10.99.2.0/24"',
    );
    expect(ws.lastRun()).toEqual({ 'infra:validate': 'cache-miss' });
    expect(ws.read(NETWORK_FACTS)).toBe(facts);
    expect(ws.read('.pushbutton/rehearse/network/rehearsal-state.json')).toBe(state);
  });

  it('stops a live provision without AWS credentials before changing anything, and points to the rehearsal', () => {
    const result = ws.nx(['run', 'infra:provision']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('Cannot apply the network stack; nothing was changed:');
    expect(result.output).toContain('AWS credentials: none found');
    expect(result.output).toContain('npx nx run infra:provision:rehearse');
    expect(existsSync(ws.path('.pushbutton/live/network/terraform.tfstate'))).toBe(false);
    expect(existsSync(ws.path('.pushbutton/facts/live'))).toBe(false);
    expect(ws.gitStatus()).toBe('');
  });
});

describe('nx affected in CI: the least correct work between a base and a head commit', () => {
  let base: string;
  const affected = () => {
    const result = ws.nx(['affected', '-t', 'provision', '-c', 'rehearse', `--base=${base}`, '--head=HEAD']);
    expect(result.code, result.output).toBe(0);
    expect(ws.gitStatus()).toBe('');
    return { ...result, tasks: ws.lastRun() };
  };
  beforeAll(() => {
    rehearse();
    base = ws.git('rev-parse', 'HEAD').trim();
  });

  it('runs nothing for a change to the README or docs', () => {
    ws.edit('README.md', (text) => `${text}\nA line for the readers.\n`);
    ws.edit('docs/decisions.md', (text) => `${text}\nAnother decision.\n`);
    ws.commit('docs only');
    const { tasks } = affected();
    expect(tasks).toEqual({});
    base = ws.git('rev-parse', 'HEAD').trim();
  });

  it("runs a step whose templates changed, and the rest of the graph comes from the cache", () => {
    ws.edit('templates/core/client/README.md.ejs', (text) => `${text}\nAsk the lab for the broker's address.\n`);
    ws.commit('client README');
    const { tasks } = affected();
    expect(executed(tasks)).toEqual(['infra:core-deliver:rehearse', 'infra:core-render:rehearse']);
    expect(Object.keys(tasks).length).toBeGreaterThan(10);
    base = ws.git('rev-parse', 'HEAD').trim();
  });

  it("runs the step whose config changed, and whatever reads its facts", () => {
    ws.edit('config/core.yaml', (text) => text.replace('topic: lab/sensors/lab-sensor', 'topic: lab/sensors/lab-sensor-2'));
    ws.commit('another topic');
    const { tasks } = affected();
    const ran = executed(tasks);
    expect(ran).toEqual(expect.arrayContaining(['infra:core-devices-synth', 'infra:core-devices-apply:rehearse', 'infra:core-render:rehearse']));
    // core.yaml is the whole core step's config: its account half re-synthesizes the same Terraform, so nothing re-applies there.
    expect(ran).not.toContain('infra:core-account-apply:rehearse');
    expect(ran.filter((task) => /network|workflow/.test(task))).toEqual([]);
    base = ws.git('rev-parse', 'HEAD').trim();
  });

  it("re-checks every step after a change to the plugin's code, but re-applies nothing whose Terraform is the same", () => {
    ws.edit('packages/nx-plugin/src/format.ts', (text) => `${text}\n// Reviewed.\n`);
    ws.commit('a comment in the plugin');
    const { tasks } = affected();
    const ran = executed(tasks);
    expect(ran).toEqual(expect.arrayContaining(['infra:network-synth', 'infra:core-account-synth', 'infra:workflow-synth', 'infra:validate']));
    expect(ran.filter((task) => task.includes('-apply'))).toEqual([]);
  });
});

describe('a custom component, rehearsed', () => {
  it('synthesizes its bucket and the role statement, plans its upload and deployment, and a second rehearsal is all cache hits', () => {
    const name = 'com.pushbutton.HelloWorld';
    // As the README says: the example component, enabled in config/core.yaml.
    ws.edit('config/core.yaml', (text) => text.replace(`# customComponents:\n#   - ${name}`, `customComponents:\n  - ${name}`));
    ws.commit('the example custom component');
    const { output, tasks } = rehearse();
    const ran = executed(tasks);
    expect(ran).toEqual(
      expect.arrayContaining(['infra:validate', 'infra:core-account-synth', 'infra:core-account-apply:rehearse', 'infra:core-components:rehearse', 'infra:core-deploy:rehearse']),
    );
    expect(ran.filter((task) => /network|workflow/.test(task))).toEqual([]);

    const synthesized = JSON.parse(ws.read('.pushbutton/synth/core-account/stacks/core-account/cdk.tf.json'));
    expect(synthesized.resource.aws_s3_bucket.components).toMatchObject({ bucket_prefix: 'pushbutton-demo-components-' });
    expect(JSON.parse(synthesized.resource.aws_iam_role_policy.token_exchange_components.policy).Statement).toContainEqual({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: '${aws_s3_bucket.components.arn}/*',
    });
    expect(output).toContain('+ aws_s3_bucket.components will be created');
    expect(output).toContain('+ aws_iam_role_policy.token_exchange_components will be created');
    const bucket = JSON.parse(ws.read('.pushbutton/facts/rehearse/core-account.json')).values.component_bucket_name;
    expect(output).toMatch(new RegExp(`would upload hello\\.sh \\(\\d+ bytes, sha256 [0-9a-f]{12}\\) to s3://${bucket}/${name}/1\\.0\\.0/hello\\.sh`));
    expect(output).toContain(`would create component version arn:aws:greengrass:us-west-2:000000000000:components:${name}:versions:1.0.0`);
    expect(output).toMatch(new RegExp(`Core device pushbutton-demo-lab-gateway: would deploy .*${name.replace(/\./g, '\\.')} 1\\.0\\.0`));

    const again = rehearse();
    expect(executed(again.tasks)).toEqual([]);
  });
});

describe('destroy, rehearsed', () => {
  it('undoes every unit in reverse order, forgets the rehearsal and all its facts, and keeps local keys', () => {
    const result = ws.nx(['run', 'infra:destroy:rehearse']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('network: Rehearsal: a live destroy would remove 8 resources: aws_internet_gateway.internet_gateway,');
    expect(result.output).toContain('Local device keys kept in .pushbutton/keys/rehearse/ (pass --removeKeys to delete them).');
    const order = [...result.output.matchAll(/^> nx run infra:([a-z-]+-destroy):rehearse/gm)].map((m) => m[1]);
    expect(order.indexOf('core-deploy-destroy')).toBeLessThan(order.indexOf('core-devices-destroy'));
    expect(order.indexOf('core-devices-destroy')).toBeLessThan(order.indexOf('core-account-destroy'));
    expect(order.indexOf('core-account-link-destroy')).toBeLessThan(order.indexOf('core-account-destroy'));
    // The devices are uninstalled (with --uninstall) before Greengrass's records of them go.
    expect(order.indexOf('core-deliver-destroy')).toBeLessThan(order.indexOf('core-deploy-destroy'));
    expect(filesUnder(ws.path('.pushbutton/facts/rehearse'))).toEqual([]);
    expect(existsSync(ws.path(DEVICE_KEY))).toBe(true);
    expect(ws.gitStatus()).toBe('');
  });

  it('deletes the local keys and bundles when asked', () => {
    const result = ws.nx(['run', 'infra:destroy:rehearse', '--removeKeys']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('Removed the local keys and bundles of lab-gateway, lab-sensor.');
    expect(existsSync(ws.path(DEVICE_KEY))).toBe(false);
    expect(existsSync(ws.path(CORE_BUNDLE))).toBe(false);
  });
});
