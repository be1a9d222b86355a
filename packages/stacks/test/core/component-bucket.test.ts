// The core-account stack with custom components: a private, encrypted bucket of their artifacts, which
// the token exchange role may read and nothing more; without them, neither.
import { Testing } from 'cdktf';
import { buildStack, Settings } from '../../src';
import coreAccount from '../../src/core/core-account';
import type { CoreSettings } from '../../src/core/settings';

const NAME = 'com.pushbutton.HelloWorld';

const settings = (customComponents: CoreSettings['customComponents']): Settings => ({
  project: { name: 'lab', region: 'eu-central-1', tags: { Owner: 'genomics' }, state: { backend: 'local' } },
  core: {
    greengrass: { nucleusVersion: '2.16.1', rootPath: '/greengrass/v2', componentUser: 'ggc_user', componentGroup: 'ggc_group', port443: false },
    thingGroupName: 'lab-cores',
    clientThingGroupName: 'lab-clients',
    coreDevices: { 'lab-gateway': { name: 'lab-gateway', thingName: 'lab-lab-gateway', sshPort: 22 } },
    clientDevices: {},
    components: { 'aws.greengrass.Cli': '2.16.1' },
    customComponents,
    clientDeviceGroup: 'PushbuttonClients',
    logs: { upload: false, uploadIntervalSeconds: 300, minimumLevel: 'INFO' },
  } as CoreSettings,
});
const WITH_COMPONENT = settings({ [NAME]: { name: NAME, version: '1.0.0', recipeFile: `components/${NAME}/recipe.yaml`, artifacts: ['hello.sh'] } });

type Synthesized = { resource: Record<string, Record<string, Record<string, any>>>; output: Record<string, { value: unknown; description: string }> };
const synthText = (s: Settings) => Testing.synth(buildStack(coreAccount, 'core-account', s).stack);
const synth = (s: Settings): Synthesized => JSON.parse(synthText(s));
const addresses = (json: Synthesized) => Object.entries(json.resource).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`)).sort();

describe('the core-account stack with custom components', () => {
  const json = synth(WITH_COMPONENT);
  const r = json.resource;
  const BUCKET_ARN = '${aws_s3_bucket.components.arn}';

  it('adds the component bucket, its settings, and the token exchange role\'s policy on it, and nothing else', () => {
    const without = addresses(synth(settings({})));
    expect(addresses(json).filter((a) => !without.includes(a))).toEqual([
      'aws_iam_role_policy.token_exchange_components',
      'aws_s3_bucket.components',
      'aws_s3_bucket_ownership_controls.components_ownership',
      'aws_s3_bucket_policy.components_policy',
      'aws_s3_bucket_public_access_block.components_public_access_block',
      'aws_s3_bucket_server_side_encryption_configuration.components_encryption',
    ]);
    expect(addresses(json).filter((a) => a.includes('s3'))).toHaveLength(5);
    // Without custom components (settings from before they existed too): no bucket.
    expect(addresses(synth(settings(undefined)))).toEqual(without);
    expect(without.some((a) => a.includes('s3') || a.includes('components'))).toBe(false);
  });

  it('names the bucket like the project\'s other buckets, tagged, and lets destroy empty it', () => {
    expect(r.aws_s3_bucket.components).toMatchObject({
      bucket_prefix: 'lab-components-',
      force_destroy: true,
      tags: { Name: 'lab-components', Project: 'lab', ManagedBy: 'pushbutton', Owner: 'genomics' },
    });
  });

  it('keeps the bucket private: every public access blocked, ACLs off, encrypted, and TLS only', () => {
    expect(r.aws_s3_bucket_public_access_block.components_public_access_block).toMatchObject({
      bucket: '${aws_s3_bucket.components.id}',
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(r.aws_s3_bucket_ownership_controls.components_ownership.rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    expect(r.aws_s3_bucket_server_side_encryption_configuration.components_encryption.rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' }, bucket_key_enabled: true },
    ]);
    const policy = r.aws_s3_bucket_policy.components_policy;
    expect(JSON.parse(policy.policy).Statement).toEqual([
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
    // S3 refuses concurrent changes to one bucket's settings.
    expect(policy.depends_on).toEqual(['aws_s3_bucket_public_access_block.components_public_access_block']);
  });

  it("lets the token exchange role read exactly the bucket's objects, and ask for its region, which the nucleus does first", () => {
    const policy = r.aws_iam_role_policy.token_exchange_components;
    expect(policy).toMatchObject({ name: 'lab-gg-token-exchange-components', role: '${aws_iam_role.token_exchange_role.name}' });
    expect(JSON.parse(policy.policy)).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET_ARN}/*` },
        { Effect: 'Allow', Action: 's3:GetBucketLocation', Resource: BUCKET_ARN },
      ],
    });
    // The logs policy is unchanged: nothing else may be read.
    expect(JSON.stringify(r.aws_iam_role_policy.token_exchange_logs)).not.toContain('s3:');
  });

  it('hands on the bucket\'s name as a fact', () => {
    expect(json.output.component_bucket_name).toMatchObject({ value: '${aws_s3_bucket.components.id}' });
    expect(json.output.component_bucket_name.description).not.toBe('');
    expect(synth(settings({})).output.component_bucket_name).toBeUndefined();
  });

  it('synthesizes the same Terraform every time, whatever the components\' versions (core-components makes those)', () => {
    const bumped = settings({ [NAME]: { name: NAME, version: '2.0.0', recipeFile: `components/${NAME}/recipe.json`, artifacts: ['hello.sh', 'more.sh'] } });
    expect(synthText(bumped)).toBe(synthText(WITH_COMPONENT));
  });
});
