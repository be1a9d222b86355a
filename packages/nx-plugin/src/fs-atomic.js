// @ts-check
const { mkdirSync, renameSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');

/**
 * Writes a file so that readers see the old content or the new, never half of it.
 * @param {string} file @param {string} content @param {number} [mode]
 */
function writeFileAtomic(file, content, mode) {
  mkdirSync(dirname(file), { recursive: true });
  const staging = `${file}.${process.pid}.tmp`;
  writeFileSync(staging, content, { mode });
  renameSync(staging, file);
}

module.exports = { writeFileAtomic };
