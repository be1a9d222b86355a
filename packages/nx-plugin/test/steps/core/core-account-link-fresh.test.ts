// core-account-link in an account where no Greengrass service role was ever associated, through the
// real SDK clients and their deserializers: Greengrass answers GetServiceRoleForAccount with an error
// body that has a message and no error code (botocore's greengrassv2 model documents only a 500,
// InternalServerException; AWS's samples match the message "You need to attach an IAM role to this
// AWS account."). HTTP stops at nock.
import nock from 'nock';
import type { Settings } from '@pushbutton/stacks';
import greengrassAccount from '../../../src/steps/core/core-account-link';
import { interceptAwsWithNock } from '../../nock-aws';

const REGION = 'eu-central-1';
const GREENGRASS = `https://greengrass.${REGION}.amazonaws.com`;
const IOT = `https://iot.${REGION}.amazonaws.com`;
const OUR_ROLE = 'arn:aws:iam::123456789012:role/lab-greengrass-service-role';
const NO_ROLE = { message: 'You need to attach an IAM role to this AWS account.' };
/** The SDK's five attempts (core-account-link's client): a 5xx is retried as a transient error. */
const ATTEMPTS = 5;

const settings: Settings = { project: { name: 'lab', region: REGION, tags: {}, state: { backend: 'local' } } };

interceptAwsWithNock();

function endpoints() {
  nock(IOT)
    .get('/endpoint')
    .query({ endpointType: 'iot:Data-ATS' })
    .reply(200, { endpointAddress: 'a1b2c3d4e5f6g7-ats.iot.eu-central-1.amazonaws.com' })
    .get('/endpoint')
    .query({ endpointType: 'iot:CredentialProvider' })
    .reply(200, { endpointAddress: 'c1d2e3f4g5h6i7.credentials.iot.eu-central-1.amazonaws.com' });
}

function link() {
  return greengrassAccount.apply({
    settings,
    region: REGION,
    mode: 'live',
    workspaceRoot: '/nonexistent-workspace',
    print: () => {},
    facts: { 'core-account': { service_role_arn: OUR_ROLE } },
  });
}

it.each([
  ['the documented 500', 500, ATTEMPTS],
  ['a 404', 404, 1],
])('associates our role when Greengrass answers that none is attached (%s, no error code)', async (_, status, times) => {
  nock(GREENGRASS).get('/greengrass/servicerole').times(times).reply(status, NO_ROLE, { 'content-type': 'application/json' });
  const associations: unknown[] = [];
  nock(GREENGRASS)
    .put('/greengrass/servicerole', (body) => Boolean(associations.push(body)))
    .reply(200, { associatedAt: '2026-12-02T05:00:00Z' });
  endpoints();

  const result = await link();

  expect(associations).toEqual([{ RoleArn: OUR_ROLE }]); // the wire name of roleArn in the service model
  expect(result.facts).toMatchObject({ service_role_arn: OUR_ROLE, service_role_associated_by_pushbutton: true });
  expect(nock.isDone()).toBe(true);
});

it('fails, associating nothing, when Greengrass answers with any other error', async () => {
  nock(GREENGRASS).get('/greengrass/servicerole').times(ATTEMPTS).reply(500, { message: 'Internal error' }, { 'content-type': 'application/json' });
  const put = nock(GREENGRASS).put('/greengrass/servicerole').reply(200, {});

  await expect(link()).rejects.toThrow('Internal error');
  expect(put.isDone()).toBe(false);
});
