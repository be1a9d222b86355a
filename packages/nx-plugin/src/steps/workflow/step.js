// @ts-check
/** @type {import('../definition').StepDefinition} */
module.exports = {
  name: 'workflow',
  summary: 'workflow cases and parameter studies, run on AWS',
  configFile: 'workflows.yaml',
  settingsKey: 'workflows',
  units: [
    {
      name: 'workflow',
      kind: 'stack',
      summary: "the results bucket, the workers' role and instance profile, and their launch template in the network step's subnet",
      readsFactsOf: ['network'],
    },
    {
      name: 'workflow-render',
      kind: 'render',
      summary: "per case, the worker's cloud-init user-data and the script that runs the case",
      readsFactsOf: ['workflow'],
    },
    {
      name: 'workflow-launch',
      kind: 'effect',
      summary: 'start one worker per case that has neither a live instance nor a result, up to the concurrency cap',
      readsFactsOf: ['workflow'],
      after: ['workflow-render'],
      packages: ['@aws-sdk/client-ec2', '@aws-sdk/client-s3'],
    },
  ],
  reports: [
    {
      name: 'status',
      summary: 'the case ledger: case, workflow, parameters, instance, state, started, finished and results, read from EC2 and S3',
      readsFactsOf: ['workflow'],
    },
  ],
};
