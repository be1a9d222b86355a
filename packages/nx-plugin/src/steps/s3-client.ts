// The S3 SDK loads when a call needs it: the effect executor loads every effect's code, and few of them call S3.
import type { S3Client } from '@aws-sdk/client-s3';

export const s3Sdk = () => import('@aws-sdk/client-s3');

/** An S3 client whose standard retry mode makes up to `maxAttempts` attempts. */
export const s3Client = async (region: string, maxAttempts: number): Promise<S3Client> => new (await s3Sdk()).S3Client({ region, maxAttempts });
