// @ts-check
/** @type {import('../definition').StepDefinition} */
module.exports = {
  name: 'workflow',
  summary: 'workflow cases and parameter studies, run on AWS Batch or EC2',
  configFile: 'workflows.yaml',
  settingsKey: 'workflows',
  units: [
    {
      name: 'workflow',
      kind: 'stack',
      summary: "the results bucket, and the engine cases run on in the network step's subnet: a Batch queue, compute environment and job definitions, or the EC2 workers' launch template",
      readsFactsOf: ['network'],
    },
    {
      name: 'workflow-render',
      kind: 'render',
      summary: "the case runner, and per case its values and the EC2 worker's cloud-init user-data",
      readsFactsOf: ['workflow'],
    },
    {
      name: 'workflow-launch',
      kind: 'effect',
      summary: 'start every case that has never started: submitted to the Batch queue at once, or one EC2 worker each up to the concurrency cap',
      readsFactsOf: ['workflow'],
      after: ['workflow-render'],
      packages: ['@aws-sdk/client-batch', '@aws-sdk/client-ec2', '@aws-sdk/client-s3'],
    },
  ],
  commands: [
    {
      name: 'status',
      summary: 'the case ledger: each case with its attempt, worker, state, times and results, and counts per study, read from Batch or EC2 and S3; --json for scripts',
      readsFactsOf: ['workflow'],
    },
    {
      name: 'report',
      summary: 'write the study report: one HTML page, per study its cases by state and run times, per workflow its cases by state, and a row per case with links to its results and log',
      readsFactsOf: ['workflow'],
    },
    {
      name: 'logs',
      summary: "print one case's log: live from CloudWatch Logs while it runs (--follow tails it until it ends), from its results once it ended: --case <id or label>, --attempt <n>",
      readsFactsOf: ['workflow'],
    },
    {
      name: 'retry',
      summary: 'run cases whose newest attempt failed, timed out or was lost again, each as its next attempt: --case <id or label>, --study <name>, or --failed',
      readsFactsOf: ['workflow'],
    },
  ],
};
