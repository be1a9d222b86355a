// @ts-check
// The state fingerprint behind the cache key of every effect target (`<stack>-apply`,
// SDK effects, delivery).
//
// Hashing the state itself cannot work: an apply changes the state, so the run after it
// would always miss the cache. Instead each unit and mode keeps a token that stays the same
// while the state is the one Pushbutton's own last run left behind, and is replaced when
// the state changed or vanished any other way (deleted, changed by hand, a failed run, a
// destroy).
//
// What "the state" is, each executor says in the unit's record (`record.json`), written
// after it succeeds: the files its result depends on (a Terraform state file, certificate
// requests, bundles), files that only need to exist (private keys: never read here), and an
// S3 object for a remote Terraform state.
//
// Nx gets the tokens in two ways (see stateFingerprint): for everything local, the plugin's
// preTasksExecution hook computes them all in its running worker and sets one environment
// variable per unit, an `env` input; a state kept in S3 needs a network call, so only stacks
// whose config selects the S3 backend also get a runtime input (bin/state-fingerprint.js).
const { createHash } = require('node:crypto');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { writeFileAtomic } = require('./fs-atomic');
const { MODES, paths } = require('./paths');

/** @typedef {import('./paths').Mode} Mode */
/** @typedef {{ token: string, stateIdentity: string }} TokenRecord */
/**
 * @typedef {object} UnitRecord
 * @property {string[]} [files] workspace-relative files whose content is part of the state
 * @property {string[]} [present] workspace-relative files that only need to exist
 * @property {{ bucket: string, key: string, region?: string }} [s3] a Terraform state kept in S3
 */

const sha256 = (/** @type {string | Buffer} */ data) => createHash('sha256').update(data).digest('hex');

/** @param {string} file */
function fileIdentity(file) {
  return existsSync(file) ? sha256(readFileSync(file)) : 'absent';
}

/** @param {{ bucket: string, key: string, region?: string }} location */
async function s3ObjectIdentity({ bucket, key, region }) {
  const { S3Client, HeadObjectCommand } = require('@aws-sdk/client-s3');
  const client = new S3Client({ region, maxAttempts: 2 });
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return `s3:${head.ETag}:${head.VersionId ?? ''}`;
  } catch (error) {
    const name = /** @type {{ name?: string }} */ (error).name;
    return name === 'NotFound' || name === 'NoSuchKey' ? 'absent' : `unreadable:${name}`;
  } finally {
    client.destroy();
  }
}

/**
 * A unit's record. One that is not a JSON object (damaged by hand) names nothing: its text alone makes
 * the identity, so the state counts as changed, and no Nx command fails on it.
 * @param {string} root @param {Mode} mode @param {string} unit
 */
function readRecord(root, mode, unit) {
  const recordFile = join(root, paths.recordFile(mode, unit));
  if (!existsSync(recordFile)) return undefined;
  const text = readFileSync(recordFile, 'utf8');
  /** @type {UnitRecord} */
  let record = {};
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) record = parsed;
  } catch {}
  return { text, record };
}

/** @typedef {{ remote?: boolean }} ReadOptions `remote: false` leaves a state kept in S3 unread */

/**
 * The identity of what the unit's last run left: its record and everything the record names;
 * undefined for a state kept in S3 when it is not to be read.
 * @param {string} root @param {Mode} mode @param {string} unit @param {ReadOptions} options
 */
async function currentIdentity(root, mode, unit, { remote = true }) {
  const found = readRecord(root, mode, unit);
  if (!found) return 'absent';
  const { text, record } = found;
  if (record.s3 && !remote) return undefined;
  const parts = [sha256(text)];
  for (const file of record.files ?? []) parts.push(`${file} ${fileIdentity(join(root, file))}`);
  for (const file of record.present ?? []) parts.push(`${file} ${existsSync(join(root, file)) ? 'present' : 'absent'}`);
  if (record.s3) parts.push(await s3ObjectIdentity(record.s3));
  return sha256(parts.join('\n'));
}

/** @param {string} file @returns {TokenRecord | undefined} */
function readTokenRecord(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** @param {string} file @param {TokenRecord} record */
function writeTokenRecord(file, record) {
  writeFileAtomic(file, JSON.stringify(record, null, 2) + '\n');
}

/**
 * The token for the unit's current state, replacing it if the state is not the one last recorded;
 * `remote` for a state kept in S3 when it is not to be read.
 * @param {string} root @param {Mode} mode @param {string} unit @param {ReadOptions} [options]
 */
async function stateToken(root, mode, unit, options = {}) {
  const identity = await currentIdentity(root, mode, unit, options);
  if (identity === undefined) return 'remote';
  const file = join(root, paths.stateTokenFile(mode, unit));
  const known = readTokenRecord(file);
  if (known && known.stateIdentity === identity) return known.token;
  const token = nextToken(known?.token, root, mode, unit, identity);
  writeTokenRecord(file, { token, stateIdentity: identity });
  return token;
}

/**
 * A new token for a state. Chained on the previous token, so a state that vanishes twice never
 * reuses an old key; the workspace path keeps two clones of a project apart in a shared cache.
 * @param {string | undefined} previous @param {string} root @param {Mode} mode @param {string} unit @param {string} identity
 */
function nextToken(previous, root, mode, unit, identity) {
  return sha256([previous ?? '', mode, unit, root, identity].join('\n')).slice(0, 32);
}

/**
 * One token per mode, as a cache input: `live:<token> rehearse:<token>`. With `remote: false`,
 * a state kept in S3 stands as `remote`, left to the runtime input that reads S3.
 * @param {string} root @param {string} unit @param {ReadOptions} options
 */
async function stateFingerprint(root, unit, options) {
  const tokens = [];
  for (const mode of MODES) tokens.push(`${mode}:${await stateToken(root, mode, unit, options)}`);
  return tokens.join(' ');
}

/** The environment variable that carries a unit's fingerprint: `PUSHBUTTON_STATE_CORE_DEPLOY`. */
const fingerprintVariable = (/** @type {string} */ unit) => `PUSHBUTTON_STATE_${unit.toUpperCase().replace(/-/g, '_')}`;

/**
 * Writes a unit's record without vouching for it: the next fingerprint differs from the
 * one this run was cached under, so the next run runs the unit again (e.g. work pending).
 * @param {string} root @param {Mode} mode @param {string} unit @param {UnitRecord & Record<string, unknown>} record
 */
function writeRecord(root, mode, unit, record) {
  writeFileAtomic(join(root, paths.recordFile(mode, unit)), JSON.stringify(record, null, 2) + '\n');
}

/**
 * Called after a unit's run succeeded: writes its record, and makes the state it describes
 * the one the current token stands for.
 * @param {string} root @param {Mode} mode @param {string} unit @param {UnitRecord & Record<string, unknown>} record
 */
async function recordState(root, mode, unit, record) {
  writeRecord(root, mode, unit, record);
  const file = join(root, paths.stateTokenFile(mode, unit));
  // Read in full (remote too), so never undefined.
  const stateIdentity = /** @type {string} */ (await currentIdentity(root, mode, unit, {}));
  const token = readTokenRecord(file)?.token ?? nextToken(undefined, root, mode, unit, stateIdentity);
  writeTokenRecord(file, { token, stateIdentity });
}

module.exports = { stateToken, stateFingerprint, fingerprintVariable, recordState, writeRecord };
