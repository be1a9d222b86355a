// A first live launch, through the real EC2 and S3 clients and their deserializers (HTTP stops at
// nock), with EC2's answers as its API documents them
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html): the instance profile
// that Terraform has just created is not visible to EC2 yet, the vCPU quota, no capacity.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Settings } from '@pushbutton/stacks';
import nock from 'nock';
import workflowLaunch from '../../../src/steps/workflow/workflow-launch';
import type { WorkflowLaunchFacts } from '../../../src/steps/workflow/facts';
import { paths } from '../../../src/paths';
import { userDataFile } from '../../../src/steps/workflow/workflow-render';
import { expandCases } from '../../../src/steps/workflow/cases';
import { interceptAwsWithNock } from '../../nock-aws';
import { launchSettings, MONITORING_DEFAULTS, workflowDefinition } from './fixtures';

const REGION = 'eu-central-1';
const EC2 = `https://ec2.${REGION}.amazonaws.com`;
const BUCKET = 'lab-results-20250301';
const S3 = `https://${BUCKET}.s3.${REGION}.amazonaws.com`;
const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const PROFILE_ARN = 'arn:aws:iam::123456789012:instance-profile/lab-workflow-worker';
/** The launch effect's EC2 client makes eight attempts at a 5xx. */
const SDK_ATTEMPTS = 8;

const workflow = (name: string, instanceType: string) => workflowDefinition(name, { instanceType });

const settings: Settings = {
  project: { name: 'lab', region: REGION, tags: {}, state: { backend: 'local' } },
  workflows: {
    results: { prefix: 'results', keepOnDestroy: true },
    launch: launchSettings({ maxConcurrent: 10, imageId: 'ami-0123456789abcdef0', rootVolumeGiB: 50 }),
    monitoring: MONITORING_DEFAULTS,
    workflows: { trim: workflow('trim', 'm5.2xlarge'), assemble: workflow('assemble', 'r5.4xlarge') },
    cases: [
      { workflow: 'trim', label: 'trim one', parameters: { qual: 10 } },
      { workflow: 'trim', label: 'trim two', parameters: { qual: 20 } },
      { workflow: 'assemble', label: 'assemble', parameters: {} },
    ],
    studies: {},
  },
};
const CASES = expandCases(settings.workflows!);

let workspace: string;

interceptAwsWithNock();
beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'pushbutton-first-launch-'));
  for (const c of CASES) {
    const file = join(workspace, paths.renderDir('live', 'workflow'), userDataFile(c.id));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '#cloud-config\n');
  }
});
afterEach(() => rmSync(workspace, { recursive: true, force: true }));

const ec2Error = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>9b7ed2d5-4b7e-4b11-a3c9-1c4f3d1d7c9e</RequestID></Response>`;
const PROFILE_NOT_VISIBLE = ec2Error(
  'InvalidParameterValue',
  `Value (${PROFILE_ARN}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`,
);
const VCPU_LIMIT = ec2Error(
  'VcpuLimitExceeded',
  'You have requested more vCPU capacity than your current vCPU limit of 32 allows for the instance bucket that the specified instance type belongs to.',
);
const NO_CAPACITY = ec2Error(
  'InsufficientInstanceCapacity',
  'We currently do not have sufficient m5.2xlarge capacity in the Availability Zone you requested (eu-central-1a).',
);

const launched = (clientToken: string, instanceType: string) => `<RunInstancesResponse xmlns="${EC2_XMLNS}">
  <requestId>r-run</requestId><reservationId>r-0123456789abcdef0</reservationId><ownerId>123456789012</ownerId><groupSet/>
  <instancesSet><item>
    <instanceId>i-0${clientToken.slice(2, 14)}abcd</instanceId><instanceState><code>0</code><name>pending</name></instanceState>
    <clientToken>${clientToken}</clientToken><instanceType>${instanceType}</instanceType>
  </item></instancesSet>
</RunInstancesResponse>`;
const noInstances = `<DescribeInstancesResponse xmlns="${EC2_XMLNS}"><requestId>r-describe</requestId><reservationSet/></DescribeInstancesResponse>`;
const emptyBucket = `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${BUCKET}</Name><Prefix>results/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`;

type QueryBody = Record<string, string>;
type Answer = (body: QueryBody) => [number, string];

/** No workers and no results yet; each RunInstances is answered by `answer`, which sees every request. */
function ec2Answering(answer: Answer): QueryBody[] {
  const runs: QueryBody[] = [];
  nock(EC2).post('/', (body: QueryBody) => body.Action === 'DescribeInstances').reply(200, noInstances);
  nock(EC2)
    .persist()
    .post('/', (body: QueryBody) => body.Action === 'RunInstances')
    .reply((_uri, body) => {
      const request = Object.fromEntries(new URLSearchParams(body as string)) as QueryBody;
      runs.push(request);
      return answer(request);
    });
  nock(S3).get('/').query(true).reply(200, emptyBucket);
  return runs;
}

const ok: Answer = (request) => [200, launched(request.ClientToken, request.InstanceType)];

async function launch() {
  const printed: string[] = [];
  const result = await workflowLaunch.apply({
    settings,
    region: REGION,
    mode: 'live',
    workspaceRoot: workspace,
    print: (line) => printed.push(line),
    facts: { workflow: { bucket_name: BUCKET, results_prefix: 'results', launch_template_id: 'lt-0123456789abcdef0' } },
  });
  return { ...result, facts: result.facts as WorkflowLaunchFacts, printed: printed.join('\n') };
}

it('launches every case once EC2 sees the new instance profile, retrying only that answer', async () => {
  let refusals = 3;
  const runs = ec2Answering((request) => (refusals-- > 0 ? [400, PROFILE_NOT_VISIBLE] : ok(request)));

  const result = await launch();

  expect(result.facts.launched.sort()).toEqual(CASES.map((c) => c.id).sort());
  expect(runs).toHaveLength(CASES.length + 3);
  expect(runs.slice(0, 4).map((run) => run.ClientToken)).toEqual(Array(4).fill(`${CASES[0].id}-a1`));
  expect(result.printed).toContain("EC2 does not see the workers' instance profile yet");
  expect(result.pending).toEqual([]);
});

it('gives up after a bounded number of tries, and says what EC2 answered', async () => {
  const runs = ec2Answering(() => [400, PROFILE_NOT_VISIBLE]);

  await expect(launch()).rejects.toThrow('Invalid IAM Instance Profile ARN');
  expect(runs).toHaveLength(10);
});

it('leaves every case not yet started waiting when the vCPU quota is reached, and says why', async () => {
  const runs = ec2Answering((request) => (request.ClientToken === `${CASES[1].id}-a1` ? [400, VCPU_LIMIT] : ok(request)));

  const result = await launch();

  expect(result.facts).toMatchObject({ launched: [CASES[0].id], waiting: 2 });
  expect(runs.map((run) => run.ClientToken)).toEqual([`${CASES[0].id}-a1`, `${CASES[1].id}-a1`]);
  expect(result.pending).toEqual([
    expect.stringMatching(/^2 cases wait because the account's vCPU quota is reached \(You have requested more vCPU capacity.*\): the next provision tries them again$/),
  ]);
});

it('leaves the cases of an instance type EC2 has no capacity for waiting, and launches the others', async () => {
  const runs = ec2Answering((request) => (request.InstanceType === 'm5.2xlarge' ? [500, NO_CAPACITY] : ok(request)));

  const result = await launch();

  const assemble = CASES.find((c) => c.workflow === 'assemble')!;
  expect(result.facts).toMatchObject({ launched: [assemble.id], waiting: 2 });
  // The SDK retries the 500 itself; the second m5.2xlarge case is not tried at all.
  expect(runs.filter((run) => run.InstanceType === 'm5.2xlarge')).toHaveLength(SDK_ATTEMPTS);
  expect(result.pending).toEqual([expect.stringMatching(/^2 cases wait because EC2 has no m5\.2xlarge capacity now \(We currently do not have sufficient m5\.2xlarge capacity/)]);
});
