// @ts-check
// The state fingerprint behind every `<stack>-apply` cache key.
//
// Hashing the state itself cannot work: an apply changes the state, so the run
// after it would always miss the cache. Instead each stack and mode keeps a
// token that stays the same while the state is the one Pushbutton's own last
// apply left behind, and is replaced when the state changed or vanished in any
// other way (deleted, applied or destroyed by hand, a failed apply).
const { createHash } = require('node:crypto');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { writeFileAtomic } = require('./fs-atomic');
const { paths } = require('./paths');

/** @typedef {import('./paths').Mode} Mode */
/** @typedef {{ token: string, stateIdentity: string }} TokenRecord */

const sha256 = (/** @type {string | Buffer} */ data) => createHash('sha256').update(data).digest('hex');

/** @param {string} file */
function fileIdentity(file) {
  return existsSync(file) ? `sha256:${sha256(readFileSync(file))}` : 'absent';
}

/**
 * Where the live state of a stack is kept, as the synthesized backend says.
 * @param {string} root @param {string} stack
 * @returns {{ kind: 'local', file: string } | { kind: 's3', bucket: string, key: string, region?: string }}
 */
function liveStateLocation(root, stack) {
  const synthesized = join(root, paths.synthesizedFile(stack));
  const backend = existsSync(synthesized) ? JSON.parse(readFileSync(synthesized, 'utf8')).terraform?.backend : undefined;
  if (backend?.s3) return { kind: 's3', bucket: backend.s3.bucket, key: backend.s3.key, region: backend.s3.region };
  return { kind: 'local', file: join(root, paths.localStateFile(stack)) };
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
 * @param {string} root @param {Mode} mode @param {string} stack
 * @returns {Promise<{ identity: string, where: string }>}
 */
async function currentState(root, mode, stack) {
  if (mode === 'rehearse') {
    const file = join(root, paths.rehearsalStateFile(stack));
    return { identity: fileIdentity(file), where: file };
  }
  const location = liveStateLocation(root, stack);
  if (location.kind === 'local') return { identity: fileIdentity(location.file), where: location.file };
  return { identity: await s3ObjectIdentity(location), where: `s3://${location.bucket}/${location.key}` };
}

/** @param {string} file @returns {TokenRecord | undefined} */
function readRecord(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** @param {string} file @param {TokenRecord} record */
function writeRecord(file, record) {
  writeFileAtomic(file, JSON.stringify(record, null, 2) + '\n');
}

/**
 * The token for the current state, replacing it if the state is not the one last applied.
 * @param {string} root @param {Mode} mode @param {string} stack
 */
async function stateToken(root, mode, stack) {
  const file = join(root, paths.stateTokenFile(mode, stack));
  const record = readRecord(file);
  const { identity, where } = await currentState(root, mode, stack);
  if (record && record.stateIdentity === identity) return record.token;
  // Chained on the previous token, so a state that vanishes twice never reuses an old key.
  const token = sha256([record?.token ?? '', mode, stack, where, identity].join('\n')).slice(0, 32);
  writeRecord(file, { token, stateIdentity: identity });
  return token;
}

/**
 * Called after a successful apply: the state it left is now the one the token stands for.
 * @param {string} root @param {Mode} mode @param {string} stack
 */
async function recordAppliedState(root, mode, stack) {
  const file = join(root, paths.stateTokenFile(mode, stack));
  const token = readRecord(file)?.token ?? (await stateToken(root, mode, stack));
  const { identity } = await currentState(root, mode, stack);
  writeRecord(file, { token, stateIdentity: identity });
}

module.exports = { stateToken, recordAppliedState };
