// @ts-check
// Every write that must never leave half a file or half a folder behind goes through here: a
// reader sees the old content or the new, and a failure leaves the old in place.
const { existsSync, mkdirSync, renameSync, rmSync } = require('node:fs');
const { dirname } = require('node:path');
const writeFileAtomicSync = require('write-file-atomic').sync;

/**
 * Writes a file whole, or not at all (npm's write-file-atomic: a temporary file, fsync, rename).
 * @param {string} file @param {string | Buffer} content @param {number} [mode]
 */
function writeFileAtomic(file, content, mode) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomicSync(file, content, mode === undefined ? {} : { mode });
}

/**
 * Puts the complete folder `staging` in place of `target`: the old folder moves aside first and
 * is deleted only once the new one is in place, so a failure leaves the old folder as it was.
 * @param {string} staging @param {string} target
 */
function replaceDirectory(staging, target) {
  const retired = `${target}.${process.pid}.old`;
  rmSync(retired, { recursive: true, force: true });
  if (existsSync(target)) renameSync(target, retired);
  try {
    renameSync(staging, target);
  } catch (error) {
    if (existsSync(retired)) renameSync(retired, target);
    throw error;
  }
  rmSync(retired, { recursive: true, force: true });
}

module.exports = { writeFileAtomic, replaceDirectory };
