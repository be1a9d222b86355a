// core-components: the custom components (customComponents in config/core.yaml, each a folder
// components/<name>/) as Greengrass component versions, for core-deploy to deploy. Per component: its
// artifacts uploaded to the component bucket at <name>/<version>/<file>, and a component version created
// from its recipe with those S3 URIs (https://docs.aws.amazon.com/greengrass/v2/developerguide/upload-components.html).
// A component version cannot change once made (Greengrass checks the artifacts' digests on every
// device), so an unchanged recipe and artifacts make nothing new, and a change under the same
// ComponentVersion stops before anything is uploaded, asking for a new version.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DescribeComponentResponse, GreengrassV2Client } from '@aws-sdk/client-greengrassv2';
import type { S3Client } from '@aws-sdk/client-s3';
import type { CustomComponent } from '@pushbutton/stacks/src/core/settings';
import { projectTags } from '@pushbutton/stacks/src/settings';
import stableStringify from 'json-stable-stringify';
import { ConfigFile } from '../../config/config-file';
import { readFacts, stringFact } from '../../facts';
import type { Effect, EffectContext } from '../kinds';
import { artifactKey, artifactsDir, componentDir, recipeForBucket } from './custom-components';
import type { CoreComponentsFacts, CustomComponentFact } from './facts';
import { s3Client, s3Sdk } from '../s3-client';
import { greengrassClient, greengrassSdk, ifFound, MAX_ATTEMPTS } from './greengrass-client';

const UNIT = 'core-components';
/** The tag holding the hash of a component version's recipe and artifacts, to tell whether it is what the workspace holds. */
export const CONTENT_TAG = 'pushbutton:content';
/** The S3 object metadata holding an artifact's SHA-256 (hex), to tell whether the object is the file. */
const SHA256_METADATA = 'sha256';
/** How long a new component version may take to become deployable (Greengrass computes its artifacts' digests first). */
export const WAIT_FOR_DEPLOYABLE = { attempts: 60, intervalMs: 2_000 };


interface Artifact {
  file: string;
  /** The object's key in the component bucket. */
  key: string;
  body: Buffer;
  sha256: string;
}

/** A component as it is created: its recipe with the artifacts' S3 URIs, the artifacts, and a hash of both. */
interface Prepared {
  component: CustomComponent;
  arn: string;
  inlineRecipe: string;
  artifacts: Artifact[];
  hash: string;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const customComponents = (ctx: EffectContext): CustomComponent[] => Object.values(ctx.settings.core?.customComponents ?? {});

/** The component bucket, from core-account's facts: it has one only while custom components are configured. */
const componentBucket = (ctx: EffectContext) => stringFact(ctx.facts, UNIT, 'core-account', ['component_bucket_name']);

/**
 * A component's ARN, or a version's: `arn:<partition>:greengrass:<region>:<account>:components:<name>[:versions:<version>]`
 * (the Greengrass V2 API reference; the Service Authorization Reference's component and componentVersion
 * resources), with the partition and account of the token exchange role's ARN.
 */
function componentArn(ctx: EffectContext, name: string, version?: string): string {
  const roleArn = stringFact(ctx.facts, UNIT, 'core-account', ['token_exchange_role_arn']);
  const [, partition, , , account] = roleArn.split(':');
  return `arn:${partition}:greengrass:${ctx.region}:${account}:components:${name}${version === undefined ? '' : `:versions:${version}`}`;
}

/** Reads the component's folder as `validate` checked it moments ago, and makes its recipe for the bucket. */
function prepare(ctx: EffectContext, component: CustomComponent, bucket: string): Prepared {
  const { file, issues } = ConfigFile.fromText(component.recipeFile, readFileSync(join(ctx.workspaceRoot, component.recipeFile), 'utf8'));
  if (issues.length || typeof file.data !== 'object' || file.data === null) {
    throw new Error(`${component.recipeFile} changed since it was checked: run \`npx nx run infra:validate\`.`);
  }
  const recipe = recipeForBucket(file.data as Record<string, unknown>, bucket);
  const artifacts = component.artifacts.map((name) => {
    const body = readFileSync(join(ctx.workspaceRoot, artifactsDir(component.name), name));
    return { file: name, key: artifactKey(component.name, component.version, name), body, sha256: sha256(body) };
  });
  // Keys sorted at every level, so the same recipe and files hash the same however the recipe is laid out.
  const hash = sha256(stableStringify({ recipe, artifacts: Object.fromEntries(artifacts.map((a) => [a.file, a.sha256])) }) ?? '');
  return { component, arn: componentArn(ctx, component.name, component.version), inlineRecipe: JSON.stringify(recipe, null, 2), artifacts, hash };
}

async function describeVersion(client: GreengrassV2Client, arn: string): Promise<DescribeComponentResponse | undefined> {
  const { DescribeComponentCommand } = await greengrassSdk();
  return ifFound(() => client.send(new DescribeComponentCommand({ arn })));
}

/** The next patch version, for the message that asks for one. */
const nextPatch = (version: string) => version.replace(/^(\d+)\.(\d+)\.(\d+).*$/, (_, major, minor, patch) => `${major}.${minor}.${Number(patch) + 1}`);

/** Why an existing version cannot be used as it is, or undefined if it is this folder's, as made before. */
function conflict(prepared: Prepared, existing: DescribeComponentResponse, project: string): string | undefined {
  const { name, version, recipeFile } = prepared.component;
  const bump = `Greengrass component versions cannot change: give ${recipeFile} a new ComponentVersion (such as ${nextPatch(version)}) and provision again.`;
  const tags = existing.tags ?? {};
  if (!tags[CONTENT_TAG]) return `Component ${name} ${version} exists in Greengrass, made by something other than Pushbutton. ${bump}`;
  if (tags[CONTENT_TAG] !== prepared.hash) {
    const where = tags.Project && tags.Project !== project ? ` (made by project ${tags.Project})` : '';
    return `Component ${name} ${version} exists in Greengrass with another recipe or other artifacts than ${componentDir(name)}/ holds now${where}. ${bump}`;
  }
  const state = existing.status?.componentState;
  if (state === 'FAILED') return `Component ${name} ${version} exists in Greengrass but failed: ${failure(existing)}. ${bump}`;
  return undefined;
}

const failure = (described: DescribeComponentResponse | undefined) =>
  [described?.status?.message, ...Object.entries(described?.status?.errors ?? {}).map(([uri, message]) => `${uri}: ${message}`)].filter(Boolean).join('; ') ||
  'no reason given';

/** Uploads an artifact unless its object is there with the same SHA-256; true if it uploaded. */
async function upload(s3: S3Client, bucket: string, artifact: Artifact): Promise<boolean> {
  const { HeadObjectCommand, NotFound, PutObjectCommand } = await s3Sdk();
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: artifact.key }));
    if (head.Metadata?.[SHA256_METADATA] === artifact.sha256) return false;
  } catch (error) {
    if (!(error instanceof NotFound)) throw error;
  }
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: artifact.key,
      Body: artifact.body,
      // S3 checks the upload against it; the metadata tells a later run the object is this file.
      ChecksumSHA256: Buffer.from(artifact.sha256, 'hex').toString('base64'),
      Metadata: { [SHA256_METADATA]: artifact.sha256 },
    }),
  );
  return true;
}

/** Waits until Greengrass has checked the new version's artifacts and it can be deployed. */
async function untilDeployable(client: GreengrassV2Client, prepared: Prepared): Promise<void> {
  const { name, version } = prepared.component;
  for (let attempt = 1; attempt <= WAIT_FOR_DEPLOYABLE.attempts; attempt++) {
    const described = await describeVersion(client, prepared.arn);
    const state = described?.status?.componentState;
    if (state === 'DEPLOYABLE') return;
    if (state === 'FAILED') {
      throw new Error(`Greengrass could not create component ${name} ${version}: ${failure(described)}. Fix it, give it a new ComponentVersion and provision again.`);
    }
    await sleep(WAIT_FOR_DEPLOYABLE.intervalMs);
  }
  const seconds = (WAIT_FOR_DEPLOYABLE.attempts * WAIT_FOR_DEPLOYABLE.intervalMs) / 1000;
  throw new Error(`Component ${name} ${version} is not deployable after ${seconds} seconds; provision again to check on it.`);
}

const fact = (prepared: Prepared): CustomComponentFact => ({
  name: prepared.component.name,
  version: prepared.component.version,
  arn: prepared.arn,
  content_hash: prepared.hash,
});

/** Deletes every object under the prefix; a bucket already gone has none. */
async function deleteObjects(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  const { DeleteObjectsCommand, NoSuchBucket, paginateListObjectsV2 } = await s3Sdk();
  let deleted = 0;
  try {
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (!keys.length) continue;
      const { Errors = [] } = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
      if (Errors.length) throw new Error(`Could not delete ${Errors.map((e) => `s3://${bucket}/${e.Key}: ${e.Code} ${e.Message ?? ''}`.trim()).join('; ')}`);
      deleted += keys.length;
    }
  } catch (error) {
    if (!(error instanceof NoSuchBucket)) throw error;
  }
  return deleted;
}

/** The versions of a component in Greengrass; none if it has none. */
async function versionsOf(client: GreengrassV2Client, arn: string): Promise<{ version: string; arn: string }[]> {
  const { paginateListComponentVersions } = await greengrassSdk();
  const versions: { version: string; arn: string }[] = [];
  await ifFound(async () => {
    for await (const page of paginateListComponentVersions({ client }, { arn })) {
      for (const v of page.componentVersions ?? []) if (v.arn && v.componentVersion) versions.push({ version: v.componentVersion, arn: v.arn });
    }
  });
  return versions;
}

/** Every version checked first: a version that cannot be used stops the run before anything is uploaded. */
async function existingVersions(client: GreengrassV2Client, ctx: EffectContext, prepared: Prepared[]): Promise<Map<string, DescribeComponentResponse | undefined>> {
  const existing = new Map<string, DescribeComponentResponse | undefined>();
  for (const p of prepared) {
    const described = await describeVersion(client, p.arn);
    const problem = described && conflict(p, described, ctx.settings.project.name);
    if (problem) throw new Error(`${problem} Nothing was uploaded or created.`);
    existing.set(p.arn, described);
  }
  return existing;
}

/** Uploads what the bucket lacks (also where the version exists: an object deleted since is uploaded again), then creates the version if needed. */
async function publish(ctx: EffectContext, client: GreengrassV2Client, s3: S3Client, bucket: string, p: Prepared, exists: boolean): Promise<void> {
  const { name, version } = p.component;
  for (const artifact of p.artifacts) {
    if (await upload(s3, bucket, artifact)) ctx.print(`Uploaded ${artifact.file} (${artifact.body.length} bytes) to s3://${bucket}/${artifact.key}.`);
  }
  if (exists) {
    ctx.print(`Component ${name} ${version} is up to date (${p.arn}).`);
    return;
  }
  const tags = { ...projectTags(ctx.settings.project), [CONTENT_TAG]: p.hash };
  const { CreateComponentVersionCommand } = await greengrassSdk();
  await client.send(new CreateComponentVersionCommand({ inlineRecipe: Buffer.from(p.inlineRecipe), tags }));
  await untilDeployable(client, p);
  ctx.print(`Created component ${name} ${version} (${p.arn}).`);
}

/** The configured custom components; none is said once, for apply and rehearse alike. */
function configuredComponents(ctx: EffectContext) {
  const components = customComponents(ctx);
  if (!components.length) ctx.print('No custom components (customComponents in config/core.yaml): nothing to upload or create.');
  return components;
}

const coreComponents: Effect = {
  async apply(ctx) {
    const facts: CoreComponentsFacts = { components: {} };
    const components = configuredComponents(ctx);
    if (!components.length) return { facts, pending: [] };
    const bucket = componentBucket(ctx);
    const client = await greengrassClient(ctx.region);
    const prepared = components.map((component) => prepare(ctx, component, bucket));
    const existing = await existingVersions(client, ctx, prepared);
    const s3 = await s3Client(ctx.region, MAX_ATTEMPTS);
    for (const p of prepared) {
      await publish(ctx, client, s3, bucket, p, Boolean(existing.get(p.arn)));
      facts.components[p.component.name] = fact(p);
    }
    return { facts, pending: [] };
  },

  rehearse(ctx) {
    const facts: CoreComponentsFacts = { components: {} };
    const components = configuredComponents(ctx);
    if (!components.length) return { facts, pending: [] };
    const bucket = componentBucket(ctx);
    for (const component of components) {
      const p = prepare(ctx, component, bucket);
      ctx.print(`Component ${component.name} ${component.version} (${component.recipeFile}, content ${p.hash.slice(0, 12)}):`);
      for (const artifact of p.artifacts) {
        ctx.print(`  would upload ${artifact.file} (${artifact.body.length} bytes, sha256 ${artifact.sha256.slice(0, 12)}) to s3://${bucket}/${artifact.key}, unless it is there already`);
      }
      ctx.print(
        `  would create component version ${p.arn}, unless it exists with this recipe and these artifacts ` +
          '(and stop if it exists with others: a version cannot change)',
      );
      facts.components[component.name] = fact(p);
    }
    return { facts, pending: [] };
  },

  // The versions Pushbutton made of every component configured now or when it last ran (tagged with its
  // content hash and this project), with their artifacts; the bucket itself is core-account's.
  async destroy(ctx) {
    const ran = readFacts(ctx.workspaceRoot, ctx.mode, UNIT)?.values as CoreComponentsFacts | undefined;
    const names = [...new Set([...customComponents(ctx).map((c) => c.name), ...Object.keys(ran?.components ?? {})])];
    if (!names.length) return;
    const { DeleteComponentCommand } = await greengrassSdk();
    const client = await greengrassClient(ctx.region);
    const bucket = ctx.facts['core-account']?.component_bucket_name as string | undefined;
    const s3 = bucket ? await s3Client(ctx.region, MAX_ATTEMPTS) : undefined;
    for (const name of names) {
      for (const { version, arn } of await versionsOf(client, componentArn(ctx, name))) {
        const tags = (await describeVersion(client, arn))?.tags ?? {};
        if (!tags[CONTENT_TAG] || tags.Project !== ctx.settings.project.name) continue;
        await ifFound(() => client.send(new DeleteComponentCommand({ arn })));
        const objects = s3 && bucket ? await deleteObjects(s3, bucket, `${artifactKey(name, version, '')}`) : 0;
        ctx.print(`Deleted component ${name} ${version}${objects ? ` and its ${objects} artifact${objects === 1 ? '' : 's'} in s3://${bucket}/` : ''}.`);
      }
    }
  },
};

export default coreComponents;
