// @ts-check
// The state token: what makes a cache hit of an apply, effect or delivery mean that the world is
// exactly what running that task with those inputs left (docs/decisions.md, "The cache never lies").
//
// Every such task's cache key is Nx's hash of its inputs (the task's "inputs hash") and a token.
// A unit's record, written when a run succeeds, keeps the token that run was cached under, the
// inputs hash it applied, and what the world it left consists of locally (a Terraform state,
// certificate requests, keys, bundles, or a state object in S3) with a hash of those as left.
// When Nx hashes the task (the custom hasher, state-hasher.js, right before the task would run):
//   - no record, a damaged one, or a world that is no longer what the record says: a fresh random
//     token, which no earlier run can have used, so the task runs;
//   - the same inputs as the record's: the record's token, so a re-run is a cache hit;
//   - other inputs: the next token in the chain, which no earlier run used either, so returning
//     to an older config runs again (the world holds the newer one).
// A run forgets the record before it changes anything and records only when it succeeds, so a
// failed or killed run leaves no record, and the next one runs.
const { createHash, randomBytes } = require('node:crypto');
const { existsSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { writeFileAtomic } = require('./fs-atomic');
const { paths } = require('./paths');

/** @typedef {import('./mode').Mode} Mode */
/**
 * What a unit's world consists of locally, workspace-relative.
 * @typedef {object} StateParts
 * @property {string[]} [files] files whose content is part of the state
 * @property {string[]} [present] files that only need to exist (private keys: never read here)
 * @property {{ bucket: string, key: string, region?: string }} [s3] a Terraform state kept in S3
 * @property {{ id: string, region: string }} [account] the AWS account a live run changed
 * @property {{ region: string, thingNames: string[] }} [greengrassCores] core devices, by what Greengrass says they run
 */
/**
 * @typedef {object} StateRecord
 * @property {string} token the token the run was cached under
 * @property {string} inputs Nx's hash of the inputs it applied
 * @property {StateParts} parts
 * @property {string} partsHash what `parts` named, hashed right after the run
 */
/** @typedef {{ hash: string, inputs: string, token: string }} PendingToken the token a hashed, not yet finished, task will record */

const sha256 = (/** @type {string | Buffer} */ data) => createHash('sha256').update(data).digest('hex');
const freshToken = () => randomBytes(16).toString('hex');
const nextToken = (/** @type {string} */ token, /** @type {string} */ inputs) => sha256(`${token}\n${inputs}`).slice(0, 32);

/** @param {string} file @returns {unknown} */
function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** @param {unknown} value @returns {value is StateRecord} */
function isRecord(value) {
  const record = /** @type {Partial<StateRecord> | undefined} */ (value);
  return !!record && typeof record.token === 'string' && typeof record.inputs === 'string' && typeof record.partsHash === 'string' && typeof record.parts === 'object';
}

/** @param {{ bucket: string, key: string, region?: string }} location */
async function s3ObjectHash({ bucket, key, region }) {
  const { S3Client, HeadObjectCommand } = require('@aws-sdk/client-s3');
  const client = new S3Client({ region, maxAttempts: 2 });
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return `s3:${head.ETag}:${head.VersionId ?? ''}`;
  } catch (error) {
    const name = /** @type {{ name?: string }} */ (error).name;
    // Unreadable is never the same twice: the task runs, and Terraform reports what is wrong.
    return name === 'NotFound' || name === 'NoSuchKey' ? 'absent' : `unreadable:${freshToken()}`;
  } finally {
    client.destroy();
  }
}

/** Per Nx run (its task graph), the account of the credentials by region: STS is asked once a run. */
const accountsOfRun = new WeakMap();

/** The account the current credentials belong to. @param {string} region @param {object} run */
function currentAccount(region, run) {
  if (!accountsOfRun.has(run)) accountsOfRun.set(run, new Map());
  /** @type {Map<string, Promise<string>>} */
  const accountsByRegion = accountsOfRun.get(run);
  if (!accountsByRegion.has(region)) {
    accountsByRegion.set(region, (async () => {
      const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');
      const client = new STSClient({ region, maxAttempts: 2 });
      try {
        return `account:${(await client.send(new GetCallerIdentityCommand({}))).Account}`;
      } catch {
        return `account-unknown:${freshToken()}`;
      } finally {
        client.destroy();
      }
    })());
  }
  return /** @type {Promise<string>} */ (accountsByRegion.get(region));
}

/**
 * What each core device runs, as Greengrass reports it (root components and versions): a core that
 * was reinstalled has lost its components, so the deployment must be sent again.
 * @param {{ region: string, thingNames: string[] }} cores
 */
async function installedComponents({ region, thingNames }) {
  const { GreengrassV2Client, paginateListInstalledComponents } = require('@aws-sdk/client-greengrassv2');
  const client = new GreengrassV2Client({ region, maxAttempts: 3 });
  const lines = [];
  try {
    for (const coreDeviceThingName of thingNames) {
      const components = [];
      try {
        for await (const page of paginateListInstalledComponents({ client }, { coreDeviceThingName, topologyFilter: 'ROOT' })) {
          for (const c of page.installedComponents ?? []) components.push(`${c.componentName}@${c.componentVersion}`);
        }
        lines.push(`core ${coreDeviceThingName} ${components.sort().join(' ')}`);
      } catch (error) {
        const name = /** @type {{ name?: string }} */ (error).name;
        lines.push(`core ${coreDeviceThingName} ${name === 'ResourceNotFoundException' ? 'not registered' : `unreadable:${freshToken()}`}`);
      }
    }
  } finally {
    client.destroy();
  }
  return lines.join('\n');
}

/** A hash of what the parts are now. @param {string} root @param {StateParts} parts @param {object} run what the lookups of one Nx run share */
async function hashParts(root, parts, run) {
  const lines = [];
  for (const file of parts.files ?? []) lines.push(`${file} ${existsSync(join(root, file)) ? sha256(readFileSync(join(root, file))) : 'absent'}`);
  for (const file of parts.present ?? []) lines.push(`${file} ${existsSync(join(root, file)) ? 'present' : 'absent'}`);
  if (parts.account) lines.push(await currentAccount(parts.account.region, run));
  if (parts.s3) lines.push(await s3ObjectHash(parts.s3));
  if (parts.greengrassCores) lines.push(await installedComponents(parts.greengrassCores));
  return sha256(lines.join('\n'));
}

/**
 * The token for a task about to be hashed with `inputs`, kept as pending for the run to record.
 * @param {string} root @param {Mode} mode @param {string} unit @param {string} inputs Nx's hash of the task's inputs
 * @param {(token: string) => string} taskHash the task's hash with that token
 * @param {object} [run] what the tasks of one Nx run share (its task graph): AWS is asked once a run
 * @returns {Promise<string>} the task's hash
 */
async function hashWithToken(root, mode, unit, inputs, taskHash, run = {}) {
  const record = readJson(join(root, paths.recordFile(mode, unit)));
  let token;
  if (!isRecord(record) || (await hashParts(root, record.parts, run)) !== record.partsHash) token = freshToken();
  else token = record.inputs === inputs ? record.token : nextToken(record.token, inputs);
  const hash = taskHash(token);
  /** @type {PendingToken} */
  const pending = { hash, inputs, token };
  writeFileAtomic(join(root, paths.pendingTokenFile(mode, unit)), JSON.stringify(pending, null, 2) + '\n');
  return hash;
}

/**
 * Before a run changes anything: whatever the unit's record vouched for may no longer hold.
 * Also for destroy, and for a run that leaves work for the next one.
 * @param {string} root @param {Mode} mode @param {string} unit
 */
function forgetState(root, mode, unit) {
  rmSync(join(root, paths.recordFile(mode, unit)), { force: true });
}

/**
 * After a run succeeded: the world is what these parts are now, under the token Nx hashed the
 * task with. A run Nx did not hash (no matching pending token) records nothing, so the next one runs.
 * @param {string} root @param {Mode} mode @param {string} unit @param {StateParts} parts
 * @param {string | undefined} [taskHash] the hash Nx ran the task under (NX_TASK_HASH)
 */
async function recordState(root, mode, unit, parts, taskHash = process.env.NX_TASK_HASH) {
  const pendingFile = join(root, paths.pendingTokenFile(mode, unit));
  const pending = /** @type {PendingToken | undefined} */ (readJson(pendingFile));
  rmSync(pendingFile, { force: true });
  if (!taskHash || pending?.hash !== taskHash) return forgetState(root, mode, unit);
  /** @type {StateRecord} */
  const record = { token: pending.token, inputs: pending.inputs, parts, partsHash: await hashParts(root, parts, {}) };
  writeFileAtomic(join(root, paths.recordFile(mode, unit)), JSON.stringify(record, null, 2) + '\n');
}

module.exports = { hashWithToken, forgetState, recordState };
