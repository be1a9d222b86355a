// core-components against a mocked account that remembers what it was given (S3 objects, component
// versions): uploads and creates once, makes nothing new for an unchanged folder, and refuses to change a
// version; core-deploy deploys what it made. Every call is checked against botocore's models.
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchAssociateClientDeviceWithCoreDeviceCommand,
  CreateComponentVersionCommand,
  CreateComponentVersionCommandInput,
  CreateDeploymentCommand,
  CreateDeploymentCommandInput,
  DeleteComponentCommand,
  DescribeComponentCommand,
  GreengrassV2Client,
  ListClientDevicesAssociatedWithCoreDeviceCommand,
  ListComponentVersionsCommand,
  ListDeploymentsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-greengrassv2';
import { DeleteObjectsCommand, HeadObjectCommand, ListObjectsV2Command, NotFound, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Settings } from '@pushbutton/stacks';
import { mockClient } from 'aws-sdk-client-mock';
import { loadConfig } from '../../../src/config/load-config';
import { writeFacts } from '../../../src/facts';
import coreComponents, { CONTENT_TAG, WAIT_FOR_DEPLOYABLE } from '../../../src/steps/core/core-components';
import coreDeploy from '../../../src/steps/core/core-deploy';
import type { CoreComponentsFacts, CoreDevicesFacts } from '../../../src/steps/core/facts';
import type { EffectContext } from '../../../src/steps/kinds';
import { checkCallsAgainstAwsModels } from '../../aws-models';

const WORKSPACE = join(__dirname, '../../../../..');
const REGION = 'us-west-2';
const ACCOUNT = '123456789012';
const BUCKET = 'pushbutton-demo-components-20260101000000000000000001';
const NAME = 'com.pushbutton.HelloWorld';
const FOLDER = `components/${NAME}`;
const ARTIFACT = `${FOLDER}/artifacts/hello.sh`;
const versionArn = (version: string, name = NAME) => `arn:aws:greengrass:${REGION}:${ACCOUNT}:components:${name}:versions:${version}`;

const greengrass = mockClient(GreengrassV2Client);
const s3 = mockClient(S3Client);
// Every call these mocks receive must be one AWS's own models take.
checkCallsAgainstAwsModels({ greengrassv2: greengrass, s3 });

let root: string;
let printed: string[];

const read = (file: string) => readFileSync(join(root, file), 'utf8');
const write = (file: string, text: string) => writeFileSync(join(root, file), text);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The workspace's config with the example component enabled, as the README says. */
function settings(): Settings {
  write('config/core.yaml', read('config/core.yaml').replace(`# customComponents:\n#   - ${NAME}`, `customComponents:\n  - ${NAME}`));
  return loadConfig(root, 'config');
}

function context(mode: EffectContext['mode'] = 'live', facts: EffectContext['facts'] = {}): EffectContext {
  return {
    settings: settings(),
    region: REGION,
    mode,
    workspaceRoot: root,
    print: (line) => printed.push(line),
    facts: {
      'core-account': {
        token_exchange_role_arn: `arn:aws:iam::${ACCOUNT}:role/pushbutton-demo-gg-token-exchange`,
        role_alias_name: 'pushbutton-demo-gg-token-exchange-alias',
        component_bucket_name: BUCKET,
      },
      ...facts,
    },
  };
}

/** What the mocked account holds: S3 objects of the bucket by key, component versions by ARN. */
let objects: Map<string, { Metadata?: Record<string, string>; Body: string }>;
let versions: Map<string, { tags: Record<string, string>; recipe: any; state: 'REQUESTED' | 'DEPLOYABLE' | 'FAILED' }>;

/** An account that keeps what it is sent; a new version becomes deployable once described. */
function account() {
  objects = new Map();
  versions = new Map();
  s3.on(HeadObjectCommand).callsFake(({ Bucket, Key }) => {
    expect(Bucket).toBe(BUCKET);
    const object = objects.get(Key);
    if (!object) throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
    return { Metadata: object.Metadata, ContentLength: object.Body.length };
  });
  s3.on(PutObjectCommand).callsFake(({ Key, Metadata, Body }) => {
    objects.set(Key, { Metadata, Body: Buffer.from(Body).toString() });
    return { ETag: '"etag"' };
  });
  s3.on(ListObjectsV2Command).callsFake(({ Prefix }) => ({ Contents: [...objects.keys()].filter((key) => key.startsWith(Prefix)).map((Key) => ({ Key })) }));
  s3.on(DeleteObjectsCommand).callsFake(({ Delete }) => {
    for (const { Key } of Delete.Objects) objects.delete(Key);
    return { Deleted: Delete.Objects };
  });
  greengrass.on(DescribeComponentCommand).callsFake(({ arn }) => {
    const version = versions.get(arn);
    if (!version) throw new ResourceNotFoundException({ message: `${arn} not found`, $metadata: { httpStatusCode: 404 }, resourceId: arn, resourceType: 'componentVersion' });
    const state = version.state;
    if (state === 'REQUESTED') version.state = 'DEPLOYABLE';
    return { arn, componentName: version.recipe.ComponentName, componentVersion: version.recipe.ComponentVersion, tags: version.tags, status: { componentState: state } };
  });
  greengrass.on(CreateComponentVersionCommand).callsFake(({ inlineRecipe, tags }: CreateComponentVersionCommandInput) => {
    const recipe = JSON.parse(Buffer.from(inlineRecipe!).toString());
    const arn = versionArn(recipe.ComponentVersion, recipe.ComponentName);
    versions.set(arn, { tags: tags!, recipe, state: 'REQUESTED' });
    return { arn, componentName: recipe.ComponentName, componentVersion: recipe.ComponentVersion, creationTimestamp: new Date(), status: { componentState: 'REQUESTED' } };
  });
  greengrass.on(ListComponentVersionsCommand).callsFake(({ arn }) => ({
    componentVersions: [...versions.entries()]
      .filter(([versionArn]) => versionArn.startsWith(`${arn}:versions:`))
      .map(([versionArn, v]) => ({ arn: versionArn, componentName: v.recipe.ComponentName, componentVersion: v.recipe.ComponentVersion })),
  }));
  greengrass.on(DeleteComponentCommand).callsFake(({ arn }) => {
    versions.delete(arn);
    return {};
  });
}

const calls = (mock: typeof s3 | typeof greengrass, command: any) => mock.commandCalls(command).length;
const changes = () => calls(s3, PutObjectCommand) + calls(greengrass, CreateComponentVersionCommand);
const apply = async () => (await coreComponents.apply(context())).facts as CoreComponentsFacts;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pushbutton-core-components-'));
  cpSync(join(WORKSPACE, 'config'), join(root, 'config'), { recursive: true });
  cpSync(join(WORKSPACE, FOLDER), join(root, FOLDER), { recursive: true });
  greengrass.reset();
  s3.reset();
  account();
  printed = [];
  WAIT_FOR_DEPLOYABLE.intervalMs = 0;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('core-components first run', () => {
  it('uploads each artifact under <component>/<version>/ and creates the version from the recipe with their S3 URIs', async () => {
    const facts = await apply();
    const script = read(ARTIFACT);
    const [put] = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(put).toMatchObject({
      Bucket: BUCKET,
      Key: `${NAME}/1.0.0/hello.sh`,
      Metadata: { sha256: sha256(script) },
      ChecksumSHA256: Buffer.from(sha256(script), 'hex').toString('base64'),
    });
    expect(Buffer.from(put.Body as Buffer).toString()).toBe(script);
    const [create] = greengrass.commandCalls(CreateComponentVersionCommand).map((call) => call.args[0].input);
    const recipe = JSON.parse(Buffer.from(create.inlineRecipe!).toString());
    expect(recipe).toMatchObject({ RecipeFormatVersion: '2020-01-25', ComponentName: NAME, ComponentVersion: '1.0.0' });
    expect(recipe.Manifests[0].Artifacts).toEqual([{ URI: `s3://${BUCKET}/${NAME}/1.0.0/hello.sh` }]);
    expect(recipe.Manifests[0].Lifecycle.Run).toBe('sh {artifacts:path}/hello.sh "{configuration:/Message}"');
    expect(create.tags).toMatchObject({ Project: 'pushbutton-demo', ManagedBy: 'pushbutton', [CONTENT_TAG]: facts.components[NAME].content_hash });
    expect(facts).toEqual({ components: { [NAME]: { name: NAME, version: '1.0.0', arn: versionArn('1.0.0'), content_hash: expect.stringMatching(/^[0-9a-f]{64}$/) } } });
    expect(printed).toEqual([
      `Uploaded hello.sh (${script.length} bytes) to s3://${BUCKET}/${NAME}/1.0.0/hello.sh.`,
      `Created component ${NAME} 1.0.0 (${versionArn('1.0.0')}).`,
    ]);
  });

  it('waits until Greengrass has made the new version deployable, and stops when it failed', async () => {
    await apply();
    expect(calls(greengrass, DescribeComponentCommand)).toBe(3); // before, then REQUESTED, then DEPLOYABLE

    write(ARTIFACT, `${read(ARTIFACT)}# 1.0.1\n`);
    write(`${FOLDER}/recipe.yaml`, read(`${FOLDER}/recipe.yaml`).replace("ComponentVersion: '1.0.0'", "ComponentVersion: '1.0.1'"));
    greengrass.on(DescribeComponentCommand, { arn: versionArn('1.0.1') }).callsFakeOnce(() => {
      throw new ResourceNotFoundException({ message: 'not found', $metadata: {}, resourceId: versionArn('1.0.1'), resourceType: 'componentVersion' });
    }).resolves({
      arn: versionArn('1.0.1'),
      status: { componentState: 'FAILED', message: 'Could not access an artifact', errors: { [`s3://${BUCKET}/${NAME}/1.0.1/hello.sh`]: 'Access Denied' } },
    });
    await expect(apply()).rejects.toThrow(
      `Greengrass could not create component ${NAME} 1.0.1: Could not access an artifact; s3://${BUCKET}/${NAME}/1.0.1/hello.sh: Access Denied. Fix it, give it a new ComponentVersion and provision again.`,
    );
  });

  it('makes no call at all without custom components', async () => {
    const ctx = context();
    ctx.settings.core!.customComponents = {};
    expect(await coreComponents.apply(ctx)).toEqual({ facts: { components: {} }, pending: [] });
    expect(greengrass.calls().length + s3.calls().length).toBe(0);
  });
});

describe('core-components re-run', () => {
  it('with nothing changed: uploads nothing and creates nothing, and hands on the same facts', async () => {
    const first = await apply();
    s3.resetHistory();
    greengrass.resetHistory();
    printed = [];
    expect(await apply()).toEqual(first);
    expect(calls(s3, PutObjectCommand)).toBe(0);
    expect(calls(greengrass, CreateComponentVersionCommand)).toBe(0);
    expect(printed).toEqual([`Component ${NAME} 1.0.0 is up to date (${versionArn('1.0.0')}).`]);
  });

  it('with the same recipe laid out anew (comments, key order, JSON): still nothing new', async () => {
    const first = await apply();
    const recipe = read(`${FOLDER}/recipe.yaml`).replace(/^#.*\n/gm, '');
    const { parse } = require('yaml') as typeof import('yaml');
    const data = parse(recipe);
    rmSync(join(root, FOLDER, 'recipe.yaml'));
    write(`${FOLDER}/recipe.json`, JSON.stringify({ Manifests: data.Manifests, ...data }));
    s3.resetHistory();
    greengrass.resetHistory();
    expect(await apply()).toEqual({ components: { [NAME]: { ...first.components[NAME] } } });
    expect(changes()).toBe(0);
  });

  it('with a changed artifact under the same version: stops before uploading anything, asking for a new version', async () => {
    await apply();
    const uploaded = objects.get(`${NAME}/1.0.0/hello.sh`)!.Body;
    write(ARTIFACT, `${read(ARTIFACT)}echo changed\n`);
    s3.resetHistory();
    greengrass.resetHistory();
    await expect(apply()).rejects.toThrow(
      `Component ${NAME} 1.0.0 exists in Greengrass with another recipe or other artifacts than ${FOLDER}/ holds now. ` +
        `Greengrass component versions cannot change: give ${FOLDER}/recipe.yaml a new ComponentVersion (such as 1.0.1) and provision again. Nothing was uploaded or created.`,
    );
    expect(changes()).toBe(0);
    expect(objects.get(`${NAME}/1.0.0/hello.sh`)!.Body).toBe(uploaded);
  });

  it('with a changed recipe under the same version: the same', async () => {
    await apply();
    write(`${FOLDER}/recipe.yaml`, read(`${FOLDER}/recipe.yaml`).replace('Hello from Pushbutton', 'Hello from the lab'));
    await expect(apply()).rejects.toThrow(/exists in Greengrass with another recipe or other artifacts.*a new ComponentVersion \(such as 1\.0\.1\)/);
  });

  it('with a changed artifact and a new version: uploads and creates the new version, and leaves the old one', async () => {
    await apply();
    write(ARTIFACT, `${read(ARTIFACT)}echo changed\n`);
    write(`${FOLDER}/recipe.yaml`, read(`${FOLDER}/recipe.yaml`).replace("ComponentVersion: '1.0.0'", "ComponentVersion: '1.1.0'"));
    s3.resetHistory();
    const facts = await apply();
    expect(facts.components[NAME]).toMatchObject({ version: '1.1.0', arn: versionArn('1.1.0') });
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual([`${NAME}/1.1.0/hello.sh`]);
    expect([...versions.keys()].sort()).toEqual([versionArn('1.0.0'), versionArn('1.1.0')]);
    expect([...objects.keys()].sort()).toEqual([`${NAME}/1.0.0/hello.sh`, `${NAME}/1.1.0/hello.sh`]);
  });

  it('with an artifact deleted from the bucket since: uploads it again, and creates nothing', async () => {
    await apply();
    objects.clear();
    s3.resetHistory();
    greengrass.resetHistory();
    await apply();
    expect(calls(s3, PutObjectCommand)).toBe(1);
    expect(calls(greengrass, CreateComponentVersionCommand)).toBe(0);
  });

  it('with the version made by something other than Pushbutton: stops, asking for a new version', async () => {
    versions.set(versionArn('1.0.0'), { tags: {}, recipe: { ComponentName: NAME, ComponentVersion: '1.0.0' }, state: 'DEPLOYABLE' });
    await expect(apply()).rejects.toThrow(`Component ${NAME} 1.0.0 exists in Greengrass, made by something other than Pushbutton.`);
    expect(changes()).toBe(0);
  });
});

describe('core-components rehearse', () => {
  it('prints what it would upload and create, with mock facts, and calls no AWS', () => {
    const script = read(ARTIFACT);
    const { facts } = coreComponents.rehearse(context('rehearse'));
    expect(greengrass.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
    const hash = (facts as CoreComponentsFacts).components[NAME].content_hash;
    expect(printed).toEqual([
      `Component ${NAME} 1.0.0 (${FOLDER}/recipe.yaml, content ${hash.slice(0, 12)}):`,
      `  would upload hello.sh (${script.length} bytes, sha256 ${sha256(script).slice(0, 12)}) to s3://${BUCKET}/${NAME}/1.0.0/hello.sh, unless it is there already`,
      `  would create component version ${versionArn('1.0.0')}, unless it exists with this recipe and these artifacts (and stop if it exists with others: a version cannot change)`,
    ]);
    expect(facts).toEqual({ components: { [NAME]: { name: NAME, version: '1.0.0', arn: versionArn('1.0.0'), content_hash: hash } } });
  });

  it('hands on the same facts as a live run of the same folder and bucket', async () => {
    const rehearsed = coreComponents.rehearse(context('rehearse')).facts;
    expect(await apply()).toEqual(rehearsed);
  });
});

describe('core-components destroy', () => {
  it("deletes the versions Pushbutton made for this project and their artifacts, and leaves everything else", async () => {
    await apply();
    write(`${FOLDER}/recipe.yaml`, read(`${FOLDER}/recipe.yaml`).replace("ComponentVersion: '1.0.0'", "ComponentVersion: '1.0.1'"));
    const facts = await apply();
    writeFacts(root, { unit: 'core-components', mode: 'live', rehearsal: false, values: facts });
    // Another project's version of the same component, and one made by hand.
    versions.set(versionArn('0.9.0'), { tags: { Project: 'other-lab', [CONTENT_TAG]: 'abc' }, recipe: { ComponentName: NAME, ComponentVersion: '0.9.0' }, state: 'DEPLOYABLE' });
    versions.set(versionArn('0.8.0'), { tags: {}, recipe: { ComponentName: NAME, ComponentVersion: '0.8.0' }, state: 'DEPLOYABLE' });
    objects.set(`${NAME}/0.9.0/hello.sh`, { Body: 'other' });
    printed = [];
    // Config no longer names it: destroy finds it in its own facts.
    const ctx = context();
    ctx.settings.core!.customComponents = {};
    await coreComponents.destroy(ctx);
    expect(greengrass.commandCalls(DeleteComponentCommand).map((call) => call.args[0].input.arn).sort()).toEqual([versionArn('1.0.0'), versionArn('1.0.1')]);
    expect([...versions.keys()].sort()).toEqual([versionArn('0.8.0'), versionArn('0.9.0')]);
    expect([...objects.keys()]).toEqual([`${NAME}/0.9.0/hello.sh`]);
    expect(printed).toEqual([
      `Deleted component ${NAME} 1.0.0 and its 1 artifact in s3://${BUCKET}/.`,
      `Deleted component ${NAME} 1.0.1 and its 1 artifact in s3://${BUCKET}/.`,
    ]);
    // Again: nothing left to delete.
    greengrass.resetHistory();
    await coreComponents.destroy(ctx);
    expect(calls(greengrass, DeleteComponentCommand)).toBe(0);
  });

  it('does nothing where no custom component was ever configured', async () => {
    const ctx = context();
    ctx.settings.core!.customComponents = {};
    await coreComponents.destroy(ctx);
    expect(greengrass.calls().length + s3.calls().length).toBe(0);
  });
});

describe('core-deploy deploys the custom components with the configured ones', () => {
  const thing = (name: string) => ({
    thing_name: `pushbutton-demo-${name}`,
    thing_arn: `arn:aws:iot:${REGION}:${ACCOUNT}:thing/pushbutton-demo-${name}`,
    certificate_id: `cert-${name}`,
    certificate_arn: `arn:aws:iot:${REGION}:${ACCOUNT}:cert/cert-${name}`,
    certificate_pem: '-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n',
    policy_name: `pushbutton-demo-${name}-policy`,
  });
  const coreDevices = {
    thing_group_name: 'pushbutton-demo-cores',
    thing_group_arn: `arn:aws:iot:${REGION}:${ACCOUNT}:thinggroup/pushbutton-demo-cores`,
    core_devices: { 'lab-gateway': thing('lab-gateway') },
    client_devices: { 'lab-sensor': { ...thing('lab-sensor'), core_device: 'lab-gateway' } },
  } as unknown as CoreDevicesFacts;

  it('in the deployment, at the version core-components made, with its logs uploaded like the others', async () => {
    const components = await apply();
    greengrass.on(ListClientDevicesAssociatedWithCoreDeviceCommand).resolves({ associatedClientDevices: [] });
    greengrass.on(BatchAssociateClientDeviceWithCoreDeviceCommand).resolves({ errorEntries: [] });
    greengrass.on(ListDeploymentsCommand).resolves({ deployments: [] });
    greengrass.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-1' });
    await coreDeploy.apply(context('live', { 'core-devices': coreDevices, 'core-components': components }));
    const [deployment] = greengrass.commandCalls(CreateDeploymentCommand).map((call) => call.args[0].input as CreateDeploymentCommandInput);
    expect(deployment.components?.[NAME]).toEqual({ componentVersion: '1.0.0' });
    expect(deployment.components?.['aws.greengrass.Cli']).toEqual({ componentVersion: '2.16.1' });
    const logs = JSON.parse(deployment.components!['aws.greengrass.LogManager'].configurationUpdate!.merge!);
    expect(Object.keys(logs.logsUploaderConfiguration.componentLogsConfigurationMap)).toContain(NAME);
  });

  it('in the rehearsal too, which says so', () => {
    const components = coreComponents.rehearse(context('rehearse')).facts;
    printed = [];
    coreDeploy.rehearse(context('rehearse', { 'core-devices': coreDevices, 'core-components': components }));
    expect(printed[0]).toMatch(new RegExp(`^Core device pushbutton-demo-lab-gateway: would deploy .*aws\\.greengrass\\.LogManager 2\\.3\\.5, ${NAME.replace(/\./g, '\\.')} 1\\.0\\.0 \\(deployment`));
  });
});
