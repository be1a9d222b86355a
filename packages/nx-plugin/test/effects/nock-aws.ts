// For suites that run the real AWS SDK clients (their retry middleware is what they test):
// HTTP stops at nock, credentials are fake, and the SDK's backoff does not wait.
import nock from 'nock';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';

/** Registers the suite's hooks; call once at the top of the file. */
export function interceptAwsWithNock(): void {
  beforeAll(() => {
    nock.disableNetConnect();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', undefined);
    // The SDK backs off with full jitter, random() × base × 2^retry: a random() of 0 makes the retries immediate.
    vi.spyOn(Math, 'random').mockReturnValue(0);
  });
  afterEach(() => nock.cleanAll());
  afterAll(() => {
    nock.enableNetConnect();
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });
}
