// The check every AWS test file runs on its mocks' calls (aws-models.ts): AWS's own models, from
// botocore, refuse what a mock would take.
import { refusedByAwsModels } from './aws-models';

describe("AWS's own service models", () => {
  it('refuse a call without a required member, with a wrong type, or of an operation that does not exist', () => {
    const refused = refusedByAwsModels([
      { service: 'batch', operation: 'TerminateJob', params: { jobId: 'a1b2c3d4-0000-4000-8000-000000000001' } },
      { service: 'batch', operation: 'SubmitJob', params: { jobName: 'lab-x', jobQueue: 'q', jobDefinition: 'd', arrayProperties: { size: '3' } } },
      { service: 'ec2', operation: 'RunInstance', params: {} },
      { service: 'ec2', operation: 'RunInstances', params: { MinCount: 1, MaxCount: 1, ClientTokn: 'c-0123456789ab-a1' } },
    ]);
    expect(refused.map((r) => r.call)).toEqual(['batch:TerminateJob', 'batch:SubmitJob', 'ec2:RunInstance', 'ec2:RunInstances']);
    expect(refused[0].problems).toEqual(['Missing required parameter in input: "reason"']);
    expect(refused[1].problems[0]).toMatch(/^Invalid type for parameter arrayProperties\.size/);
    expect(refused[2].problems).toEqual(['ec2 has no operation RunInstance']);
    expect(refused[3].problems[0]).toMatch(/^Unknown parameter in input: "ClientTokn"/);
  });

  it('take the calls Pushbutton sends', () => {
    expect(
      refusedByAwsModels([
        { service: 'batch', operation: 'ListJobs', params: { jobQueue: 'q', filters: [{ name: 'JOB_NAME', values: ['lab-*'] }], maxResults: 100 } },
        { service: 's3', operation: 'PutObject', params: { Bucket: 'b', Key: 'k', Body: '<bytes>', ContentType: 'text/plain' } },
      ]),
    ).toEqual([]);
  });
});
