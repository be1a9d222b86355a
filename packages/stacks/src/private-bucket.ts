// A bucket that stays private: encrypted at rest, public access blocked, owner-enforced objects, and
// a policy that refuses every request not made over TLS. The results and component buckets are both one.
import type { TerraformResourceLifecycle } from 'cdktf';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import type { PushbuttonStack } from './pushbutton-stack';

/** The bucket grants nothing by itself; it only refuses every request that does not come over TLS. */
function denyInsecureTransportPolicy(bucketArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });
}

export interface PrivateBucketOptions {
  /** Bucket names are global: Terraform appends a unique suffix to this. */
  bucketPrefix: string;
  /** Terraform refuses to delete the bucket or any of its settings (prevent_destroy); else destroy empties it. */
  keepOnDestroy: boolean;
}

/** The bucket `<name>` and every setting that keeps it private, as resources `<name>_…`. */
export function privateBucket(stack: PushbuttonStack, name: string, { bucketPrefix, keepOnDestroy }: PrivateBucketOptions): S3Bucket {
  const lifecycle: TerraformResourceLifecycle | undefined = keepOnDestroy ? { preventDestroy: true } : undefined;
  const bucket = new S3Bucket(stack, name, { bucketPrefix, forceDestroy: !keepOnDestroy, tags: stack.nameTag(name), lifecycle });
  new S3BucketServerSideEncryptionConfigurationA(stack, `${name}_encryption`, {
    bucket: bucket.id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
    lifecycle,
  });
  const publicAccessBlock = new S3BucketPublicAccessBlock(stack, `${name}_public_access_block`, {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
    lifecycle,
  });
  new S3BucketOwnershipControls(stack, `${name}_ownership`, { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' }, lifecycle });
  new S3BucketPolicy(stack, `${name}_policy`, {
    bucket: bucket.id,
    policy: denyInsecureTransportPolicy(bucket.arn),
    // S3 rejects concurrent changes to one bucket's settings (OperationAborted).
    dependsOn: [publicAccessBlock],
    lifecycle,
  });
  return bucket;
}
