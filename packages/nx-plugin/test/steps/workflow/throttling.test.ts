// Throttling is retried by the SDK's retry middleware, which aws-sdk-client-mock bypasses (it
// stubs `send`). So this suite runs the real EC2 and S3 clients, as the effect makes them,
// with their HTTP requests intercepted by nock: EC2 throttles RunInstances a few times.
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

const settings: Settings = {
  project: { name: 'lab', region: REGION, tags: {}, state: { backend: 'local' } },
  workflows: {
    results: { prefix: 'results', keepOnDestroy: true },
    launch: launchSettings({ maxConcurrent: 10, imageId: 'ami-0123456789abcdef0', rootVolumeGiB: 50 }),
    monitoring: MONITORING_DEFAULTS,
    workflows: {
      trim: workflowDefinition('trim', { description: 'Quality trimming' }),
    },
    cases: [{ workflow: 'trim', label: 'baseline', parameters: {} }],
    studies: {},
  },
};
const [theCase] = expandCases(settings.workflows!);

let workspace: string;

interceptAwsWithNock();
beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'pushbutton-throttling-'));
  const file = join(workspace, paths.renderDir('live', 'workflow'), userDataFile(theCase.id));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, '#cloud-config\n');
});
afterEach(() => rmSync(workspace, { recursive: true, force: true }));

const throttled = `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>x</RequestID></Response>`;

const noInstances = `<DescribeInstancesResponse xmlns="${EC2_XMLNS}"><requestId>r-describe</requestId><reservationSet/></DescribeInstancesResponse>`;

const launched = (clientToken: string) => `<RunInstancesResponse xmlns="${EC2_XMLNS}">
  <requestId>r-run</requestId><reservationId>r-0123456789abcdef0</reservationId><ownerId>123456789012</ownerId><groupSet/>
  <instancesSet><item>
    <instanceId>i-0123456789abcdef0</instanceId><instanceState><code>0</code><name>pending</name></instanceState>
    <clientToken>${clientToken}</clientToken><instanceType>m5.2xlarge</instanceType>
  </item></instancesSet>
</RunInstancesResponse>`;

const emptyBucket = `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${BUCKET}</Name><Prefix>results/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`;

type QueryBody = Record<string, string>;

/** No workers and no results yet; EC2 throttles the first `times` RunInstances requests. */
function ec2Throttling(times: number): QueryBody[] {
  const runs: QueryBody[] = [];
  const isRun = (body: QueryBody) => body.Action === 'RunInstances' && Boolean(runs.push(body));
  nock(EC2)
    .post('/', (body: QueryBody) => body.Action === 'DescribeInstances')
    .reply(200, noInstances)
    .post('/', isRun)
    .times(times)
    .reply(503, throttled)
    .post('/', isRun)
    .reply(200, (_uri, body) => launched(new URLSearchParams(body as string).get('ClientToken') ?? ''));
  nock(S3).get('/').query(true).reply(200, emptyBucket);
  return runs;
}

function launch() {
  return workflowLaunch.apply({
    settings,
    region: REGION,
    mode: 'live',
    workspaceRoot: workspace,
    print: () => {},
    facts: { workflow: { bucket_name: BUCKET, results_prefix: 'results', launch_template_id: 'lt-0123456789abcdef0' } },
  });
}

it('launches the case exactly once when the first RunInstances is throttled, with the same client token on the retry', async () => {
  const runs = ec2Throttling(1);

  const result = await launch();

  expect((result.facts as WorkflowLaunchFacts).launched).toEqual([theCase.id]);
  expect(runs).toHaveLength(2);
  expect(runs.map((run) => run.ClientToken)).toEqual([`${theCase.id}-a1`, `${theCase.id}-a1`]);
  expect(runs[1]).toEqual(runs[0]);
  expect(nock.isDone()).toBe(true);
});

it('rides out six throttled RunInstances requests in a row (the SDK default of three attempts would fail)', async () => {
  const runs = ec2Throttling(6);

  const result = await launch();

  expect((result.facts as WorkflowLaunchFacts).launched).toEqual([theCase.id]);
  expect(runs).toHaveLength(7);
  expect(new Set(runs.map((run) => run.ClientToken))).toEqual(new Set([`${theCase.id}-a1`]));
  expect(nock.isDone()).toBe(true);
});
