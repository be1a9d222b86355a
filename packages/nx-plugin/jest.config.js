/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset'),
  displayName: 'nx-plugin',
  // Before any test: the system tools the suite runs for real, or the one command that installs them.
  globalSetup: '<rootDir>/test/system-tools.js',
};
