// For suites that run the real AWS SDK clients (their retry middleware is what they test):
// HTTP stops at nock, credentials are fake, and the SDK's backoff does not wait.
import nock from 'nock';

/** Registers the suite's hooks; call once at the top of the file. */
export function interceptAwsWithNock(): void {
  const saved = { ...process.env };
  beforeAll(() => {
    nock.disableNetConnect();
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'test-secret';
    delete process.env.AWS_SESSION_TOKEN;
    // The SDK backs off with full jitter, random() × base × 2^retry: a random() of 0 makes the retries immediate.
    jest.spyOn(Math, 'random').mockReturnValue(0);
  });
  afterEach(() => nock.cleanAll());
  afterAll(() => {
    nock.enableNetConnect();
    jest.restoreAllMocks();
    process.env = saved;
  });
}
