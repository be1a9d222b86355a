import { GreengrassV2Client } from '@aws-sdk/client-greengrassv2';

/** The SDK's standard retry mode backs off on throttling; five attempts ride out a burst. */
export const MAX_ATTEMPTS = 5;

export function greengrassClient(region: string): GreengrassV2Client {
  return new GreengrassV2Client({ region, maxAttempts: MAX_ATTEMPTS });
}

