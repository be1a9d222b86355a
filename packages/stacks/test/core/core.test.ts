import { Testing } from 'cdktf';
import { buildStack, Settings, StackBuilder } from '../../src';
import coreAccount from '../../src/core/core-account';
import coreDevices from '../../src/core/core-devices';

const STACKS: Record<string, StackBuilder> = { 'core-account': coreAccount, 'core-devices': coreDevices };

const core = (name: string) => ({ name, thingName: `lab-${name}`, sshPort: 22 });
const client = (name: string, coreDevice: string, topic: string) => ({ name, thingName: `lab-${name}`, coreDevice, topic });

const settings = (): Settings => ({
  project: { name: 'lab', region: 'eu-central-1', tags: { Owner: 'genomics' }, state: { backend: 'local' } },
  core: {
    greengrass: { nucleusVersion: '2.16.1', rootPath: '/greengrass/v2', componentUser: 'ggc_user', componentGroup: 'ggc_group', port443: false },
    thingGroupName: 'lab-cores',
    clientThingGroupName: 'lab-clients',
    coreDevices: { 'lab-gateway': { ...core('lab-gateway'), host: 'pi@192.0.2.10' }, 'field-gateway': core('field-gateway') },
    clientDevices: {
      'lab-sensor': client('lab-sensor', 'lab-gateway', 'lab/sensors/one'),
      'field-sensor': client('field-sensor', 'field-gateway', 'field/readings'),
    },
    components: { 'aws.greengrass.Cli': '2.16.1' },
    clientDeviceGroup: 'PushbuttonClients',
    logs: { upload: false, uploadIntervalSeconds: 300, minimumLevel: 'INFO' },
  },
});

type Synthesized = {
  resource: Record<string, Record<string, Record<string, any>>>;
  variable: Record<string, { type: string; description: string }>;
  output: Record<string, { value: unknown; description: string }>;
  data?: unknown;
};

const synthText = (stack: string, s: Settings = settings()) => Testing.synth(buildStack(STACKS[stack], stack, s).stack);
const synth = (stack: string, s: Settings = settings()): Synthesized => JSON.parse(synthText(stack, s));

const addresses = (json: Synthesized) =>
  Object.entries(json.resource).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`)).sort();

type PolicyStatement = { Effect: string; Action: string | string[]; Resource: string | string[]; Principal?: unknown; Condition?: unknown };
const statements = (policy: string): PolicyStatement[] => {
  const document = JSON.parse(policy);
  expect(document.Version).toBe('2012-10-17');
  return document.Statement;
};
const asList = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** The policy as `action -> resources`, every statement an Allow. */
function grants(policy: string): Record<string, string[]> {
  const byAction: Record<string, string[]> = {};
  for (const statement of statements(policy)) {
    expect(statement.Effect).toBe('Allow');
    for (const action of asList(statement.Action)) byAction[action] = [...(byAction[action] ?? []), ...asList(statement.Resource)].sort();
  }
  return byAction;
}

/**
 * Whether an AWS IoT policy resource matches an ARN: `*` any characters, `?` any one
 * (https://docs.aws.amazon.com/iot/latest/developerguide/iot-policies.html).
 */
function iotPolicyMatches(pattern: string, arn: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(arn);
}

const PROJECT_TAGS = { Project: 'lab', ManagedBy: 'pushbutton', Owner: 'genomics' };
const UNTAGGABLE = [
  'aws_iam_role_policy',
  'aws_iam_role_policy_attachment',
  'aws_iot_certificate',
  'aws_iot_policy_attachment',
  'aws_iot_thing',
  'aws_iot_thing_group_membership',
  'aws_iot_thing_principal_attachment',
];

function expectEveryTaggableResourceTagged(json: Synthesized, nameOf: (type: string, resource: Record<string, any>) => string) {
  for (const [type, byName] of Object.entries(json.resource)) {
    for (const [name, resource] of Object.entries(byName)) {
      if (UNTAGGABLE.includes(type)) expect(resource.tags, `${type}.${name}`).toBeUndefined();
      else expect(resource.tags, `${type}.${name}`).toEqual({ ...PROJECT_TAGS, Name: nameOf(type, resource) });
    }
  }
}

function expectNoKeyMaterial(text: string) {
  for (const forbidden of ['private_key', 'public_key', 'tls_', 'PRIVATE KEY']) expect(text).not.toContain(forbidden);
}

describe('the core-account stack', () => {
  const json = synth('core-account');
  const r = json.resource;

  it('has exactly the token exchange role, its logs policy, role alias, role alias policy and the Greengrass service role', () => {
    expect(addresses(json)).toEqual([
      'aws_iam_role.greengrass_service_role',
      'aws_iam_role.token_exchange_role',
      'aws_iam_role_policy.token_exchange_logs',
      'aws_iam_role_policy_attachment.greengrass_service_role_policy',
      'aws_iot_policy.role_alias_policy',
      'aws_iot_role_alias.token_exchange_role_alias',
    ]);
    expect(json.data).toBeUndefined();
  });

  it('lets only the IoT credentials provider assume the token exchange role', () => {
    const role = r.aws_iam_role.token_exchange_role;
    expect(role.name).toBe('lab-gg-token-exchange');
    expect(statements(role.assume_role_policy)).toEqual([
      { Effect: 'Allow', Principal: { Service: 'credentials.iot.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
  });

  it('lets the token exchange role write Greengrass logs to CloudWatch, and nothing else', () => {
    const logs = r.aws_iam_role_policy.token_exchange_logs;
    expect(logs.role).toBe('${aws_iam_role.token_exchange_role.name}');
    const logGroups = 'arn:aws:logs:eu-central-1:*:log-group:/aws/greengrass/*';
    const resources = [logGroups, `${logGroups}:log-stream:*`].sort();
    expect(grants(logs.policy)).toEqual({
      'logs:CreateLogGroup': resources,
      'logs:CreateLogStream': resources,
      'logs:PutLogEvents': resources,
      'logs:DescribeLogStreams': resources,
    });
  });

  it('points the role alias at the token exchange role, for an hour', () => {
    expect(r.aws_iot_role_alias.token_exchange_role_alias).toMatchObject({
      alias: 'lab-gg-token-exchange-alias',
      role_arn: '${aws_iam_role.token_exchange_role.arn}',
      credential_duration: 3600,
    });
  });

  it('allows AssumeRoleWithCertificate on exactly the role alias', () => {
    const policy = r.aws_iot_policy.role_alias_policy;
    expect(policy.name).toBe('lab-gg-role-alias');
    expect(grants(policy.policy)).toEqual({
      'iot:AssumeRoleWithCertificate': ['${aws_iot_role_alias.token_exchange_role_alias.arn}'],
    });
  });

  // AWS's confused-deputy guard for this role names the account in both keys
  // (https://docs.aws.amazon.com/greengrass/v2/developerguide/greengrass-service-role.html).
  it('lets only Greengrass acting for this account, in the project region, assume the service role', () => {
    const role = r.aws_iam_role.greengrass_service_role;
    expect(role.name).toBe('lab-greengrass-service-role');
    expect(statements(role.assume_role_policy)).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'greengrass.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          ArnLike: { 'aws:SourceArn': 'arn:aws:greengrass:eu-central-1:${var.aws_account_id}:*' },
          StringEquals: { 'aws:SourceAccount': '${var.aws_account_id}' },
        },
      },
    ]);
    expect(json.variable.aws_account_id).toMatchObject({ type: 'string' });
    expect(r.aws_iam_role_policy_attachment.greengrass_service_role_policy).toEqual({
      role: '${aws_iam_role.greengrass_service_role.name}',
      policy_arn: 'arn:aws:iam::aws:policy/service-role/AWSGreengrassResourceAccessRolePolicy',
    });
  });

  it('hands on the roles, the role alias and its policy as outputs', () => {
    const values = Object.fromEntries(Object.entries(json.output).map(([name, o]) => [name, o.value]));
    expect(values).toEqual({
      token_exchange_role_arn: '${aws_iam_role.token_exchange_role.arn}',
      role_alias_name: '${aws_iot_role_alias.token_exchange_role_alias.alias}',
      role_alias_arn: '${aws_iot_role_alias.token_exchange_role_alias.arn}',
      role_alias_policy_name: '${aws_iot_policy.role_alias_policy.name}',
      service_role_arn: '${aws_iam_role.greengrass_service_role.arn}',
      service_role_name: '${aws_iam_role.greengrass_service_role.name}',
    });
    for (const [name, output] of Object.entries(json.output)) expect(output.description, name).not.toBe('');
  });

  it("tags every resource that takes tags with the project's tags and its name", () => {
    expectEveryTaggableResourceTagged(json, (type, resource) => (type === 'aws_iot_role_alias' ? resource.alias : resource.name));
  });

  it('synthesizes the same Terraform every time, with no key material', () => {
    expect(synthText('core-account')).toBe(synthText('core-account'));
    expectNoKeyMaterial(synthText('core-account'));
  });
});

describe('the core-devices stack', () => {
  const json = synth('core-devices');
  const r = json.resource;
  const text = synthText('core-devices');

  it('has a thing group for the cores and one for the clients, and per device a thing, certificate, policy and their attachments', () => {
    const perDevice = (kind: string, name: string) => [
      `aws_iot_certificate.${kind}_${name}_certificate`,
      `aws_iot_policy.${kind}_${name}_policy`,
      `aws_iot_policy_attachment.${kind}_${name}_policy_attachment`,
      `aws_iot_thing.${kind}_${name}_thing`,
      `aws_iot_thing_principal_attachment.${kind}_${name}_certificate_thing_attachment`,
    ];
    const coreOnly = (name: string) => [
      `aws_iot_policy_attachment.core_${name}_role_alias_policy_attachment`,
      `aws_iot_thing_group_membership.core_${name}_group_membership`,
    ];
    const clientOnly = (name: string) => [`aws_iot_thing_group_membership.client_${name}_group_membership`];
    expect(addresses(json)).toEqual(
      [
        'aws_iot_thing_group.core_thing_group',
        'aws_iot_thing_group.client_thing_group',
        ...perDevice('core', 'lab_gateway'),
        ...coreOnly('lab_gateway'),
        ...perDevice('core', 'field_gateway'),
        ...coreOnly('field_gateway'),
        ...perDevice('client', 'lab_sensor'),
        ...clientOnly('lab_sensor'),
        ...perDevice('client', 'field_sensor'),
        ...clientOnly('field_sensor'),
      ].sort(),
    );
    expect(json.data).toBeUndefined();
  });

  it('declares the role alias policy and one certificate request per device as string variables', () => {
    expect(Object.keys(json.variable).sort()).toEqual([
      'core_account_role_alias_policy_name',
      'csr_field_gateway',
      'csr_field_sensor',
      'csr_lab_gateway',
      'csr_lab_sensor',
    ]);
    for (const variable of Object.values(json.variable)) expect(variable.type).toBe('string');
    expect(json.variable.csr_lab_gateway.description).toContain('certificate signing request of device lab-gateway');
    expect(json.variable.csr_lab_gateway.description).toContain('made locally by Pushbutton');
  });

  it('names both thing groups from config: the core devices in one, the client devices in the other', () => {
    expect(r.aws_iot_thing_group.core_thing_group.name).toBe('lab-cores');
    expect(r.aws_iot_thing_group.client_thing_group.name).toBe('lab-clients');
    expect(r.aws_iot_thing_group_membership).toEqual({
      client_field_sensor_group_membership: {
        thing_group_name: '${aws_iot_thing_group.client_thing_group.name}',
        thing_name: '${aws_iot_thing.client_field_sensor_thing.name}',
      },
      client_lab_sensor_group_membership: {
        thing_group_name: '${aws_iot_thing_group.client_thing_group.name}',
        thing_name: '${aws_iot_thing.client_lab_sensor_thing.name}',
      },
      core_field_gateway_group_membership: {
        thing_group_name: '${aws_iot_thing_group.core_thing_group.name}',
        thing_name: '${aws_iot_thing.core_field_gateway_thing.name}',
      },
      core_lab_gateway_group_membership: {
        thing_group_name: '${aws_iot_thing_group.core_thing_group.name}',
        thing_name: '${aws_iot_thing.core_lab_gateway_thing.name}',
      },
    });
  });

  it('makes each thing with its configured name, and its certificate from its own certificate request', () => {
    expect(Object.fromEntries(Object.entries(r.aws_iot_thing).map(([id, thing]) => [id, thing.name]))).toEqual({
      core_lab_gateway_thing: 'lab-lab-gateway',
      core_field_gateway_thing: 'lab-field-gateway',
      client_lab_sensor_thing: 'lab-lab-sensor',
      client_field_sensor_thing: 'lab-field-sensor',
    });
    expect(r.aws_iot_certificate).toEqual({
      core_lab_gateway_certificate: { csr: '${var.csr_lab_gateway}', active: true },
      core_field_gateway_certificate: { csr: '${var.csr_field_gateway}', active: true },
      client_lab_sensor_certificate: { csr: '${var.csr_lab_sensor}', active: true },
      client_field_sensor_certificate: { csr: '${var.csr_field_sensor}', active: true },
    });
  });

  it('attaches each certificate to its own thing, and its own policy (plus the role alias policy for cores) to the certificate', () => {
    for (const id of ['core_lab_gateway', 'core_field_gateway', 'client_lab_sensor', 'client_field_sensor']) {
      expect(r.aws_iot_thing_principal_attachment[`${id}_certificate_thing_attachment`]).toEqual({
        thing: `\${aws_iot_thing.${id}_thing.name}`,
        principal: `\${aws_iot_certificate.${id}_certificate.arn}`,
      });
      expect(r.aws_iot_policy_attachment[`${id}_policy_attachment`]).toEqual({
        policy: `\${aws_iot_policy.${id}_policy.name}`,
        target: `\${aws_iot_certificate.${id}_certificate.arn}`,
      });
    }
    for (const id of ['core_lab_gateway', 'core_field_gateway']) {
      expect(r.aws_iot_policy_attachment[`${id}_role_alias_policy_attachment`]).toEqual({
        policy: '${var.core_account_role_alias_policy_name}',
        target: `\${aws_iot_certificate.${id}_certificate.arn}`,
      });
    }
  });

  it('gives each core device exactly what a Greengrass core with client device support needs, for its own thing only', () => {
    const policy = r.aws_iot_policy.core_lab_gateway_policy;
    expect(policy.name).toBe('lab-lab-gateway-policy');
    const arn = (resource: string) => `arn:aws:iot:eu-central-1:*:${resource}`;
    const topics = ['greengrass/health/json', 'greengrassv2/health/json', 'jobs/*', 'shadow/*'].map((t) =>
      arn(`topic/$aws/things/lab-lab-gateway*/${t}`),
    );
    const topicFilters = ['jobs/*', 'shadow/*'].map((t) => arn(`topicfilter/$aws/things/lab-lab-gateway*/${t}`));
    const thing = [arn('thing/lab-lab-gateway*')];
    const connectivityInfo = 'arn:aws:greengrass:eu-central-1:*:/greengrass/things/lab-lab-gateway*/connectivityInfo';
    expect(grants(policy.policy)).toEqual({
      'iot:Connect': [arn('client/lab-lab-gateway*')],
      'iot:Publish': topics.sort(),
      'iot:Receive': topics.sort(),
      'iot:Subscribe': topicFilters.sort(),
      'iot:GetThingShadow': thing,
      'iot:UpdateThingShadow': thing,
      'iot:DeleteThingShadow': thing,
      'greengrass:GetComponentVersionArtifact': ['*'],
      'greengrass:ResolveComponentCandidates': ['*'],
      'greengrass:GetDeploymentConfiguration': ['*'],
      'greengrass:ListThingGroupsForCoreDevice': ['*'],
      'greengrass:PutCertificateAuthorities': ['*'],
      'greengrass:VerifyClientDeviceIdentity': ['*'],
      'greengrass:VerifyClientDeviceIoTCertificateAssociation': [arn('thing/*')],
      'greengrass:GetConnectivityInfo': [connectivityInfo],
      'greengrass:UpdateConnectivityInfo': [connectivityInfo],
    });
    expect(grants(r.aws_iot_policy.core_field_gateway_policy.policy)['iot:Connect']).toEqual([arn('client/lab-field-gateway*')]);
  });

  // The ARN Greengrass authorizes GetConnectivityInfo and UpdateConnectivityInfo against, in the Service
  // Authorization Reference's form for resource type connectivityInfo:
  // arn:${Partition}:greengrass:${Region}:${Account}:/greengrass/things/${ThingName}/connectivityInfo
  // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsiotgreengrassv2.html).
  it("lets each core read and update its own connectivity info (the IP detector, discovery), and no other core's", () => {
    const account = '123456789012';
    const connectivityInfo = (thing: string) => `arn:aws:greengrass:eu-central-1:${account}:/greengrass/things/${thing}/connectivityInfo`;
    const allowed = (device: string, action: string, resource: string) =>
      grants(r.aws_iot_policy[`core_${device}_policy`].policy)[action]?.some((pattern) =>
        iotPolicyMatches(pattern, resource),
      ) ?? false;
    for (const action of ['greengrass:GetConnectivityInfo', 'greengrass:UpdateConnectivityInfo']) {
      expect(allowed('lab_gateway', action, connectivityInfo('lab-lab-gateway')), action).toBe(true);
      expect(allowed('field_gateway', action, connectivityInfo('lab-field-gateway')), action).toBe(true);
      expect(allowed('lab_gateway', action, connectivityInfo('lab-field-gateway')), action).toBe(false);
      expect(allowed('lab_gateway', action, `arn:aws:iot:eu-central-1:${account}:thing/lab-lab-gateway`), action).toBe(false);
    }
  });

  it('gives each client device its own connection, its one topic and discovery of itself, nothing more', () => {
    const arn = (resource: string) => `arn:aws:iot:eu-central-1:*:${resource}`;
    expect(r.aws_iot_policy.client_lab_sensor_policy.name).toBe('lab-lab-sensor-policy');
    expect(grants(r.aws_iot_policy.client_lab_sensor_policy.policy)).toEqual({
      'iot:Connect': [arn('client/lab-lab-sensor')],
      'iot:Publish': [arn('topic/lab/sensors/one')],
      'iot:Receive': [arn('topic/lab/sensors/one')],
      'iot:Subscribe': [arn('topicfilter/lab/sensors/one')],
      'greengrass:Discover': [arn('thing/lab-lab-sensor')],
    });
    expect(grants(r.aws_iot_policy.client_field_sensor_policy.policy)).toEqual({
      'iot:Connect': [arn('client/lab-field-sensor')],
      'iot:Publish': [arn('topic/field/readings')],
      'iot:Receive': [arn('topic/field/readings')],
      'iot:Subscribe': [arn('topicfilter/field/readings')],
      'greengrass:Discover': [arn('thing/lab-field-sensor')],
    });
  });

  it('puts no Terraform interpolation in a device policy (IoT policy variables would read as one)', () => {
    for (const policy of Object.values(r.aws_iot_policy)) expect(policy.policy).not.toContain('${');
  });

  it('hands on the thing group and, per device by config name, its thing, certificate and policy', () => {
    const device = (id: string) => ({
      thing_name: `\${aws_iot_thing.${id}_thing.name}`,
      thing_arn: `\${aws_iot_thing.${id}_thing.arn}`,
      certificate_id: `\${aws_iot_certificate.${id}_certificate.id}`,
      certificate_arn: `\${aws_iot_certificate.${id}_certificate.arn}`,
      certificate_pem: `\${nonsensitive(aws_iot_certificate.${id}_certificate.certificate_pem)}`,
      policy_name: `\${aws_iot_policy.${id}_policy.name}`,
    });
    const values = Object.fromEntries(Object.entries(json.output).map(([name, o]) => [name, o.value]));
    expect(values).toEqual({
      thing_group_name: '${aws_iot_thing_group.core_thing_group.name}',
      thing_group_arn: '${aws_iot_thing_group.core_thing_group.arn}',
      client_thing_group_name: '${aws_iot_thing_group.client_thing_group.name}',
      client_thing_group_arn: '${aws_iot_thing_group.client_thing_group.arn}',
      core_devices: { 'lab-gateway': device('core_lab_gateway'), 'field-gateway': device('core_field_gateway') },
      client_devices: {
        'lab-sensor': { ...device('client_lab_sensor'), core_device: 'lab-gateway' },
        'field-sensor': { ...device('client_field_sensor'), core_device: 'field-gateway' },
      },
    });
    for (const [name, output] of Object.entries(json.output)) expect(output.description, name).not.toBe('');
  });

  it("tags every resource that takes tags with the project's tags and its name", () => {
    expectEveryTaggableResourceTagged(json, (_type, resource) => resource.name);
  });

  it('references no private or public key, and no tls provider', () => {
    expectNoKeyMaterial(text);
  });

  it('synthesizes the same Terraform every time, whatever order config lists the devices in', () => {
    expect(synthText('core-devices')).toBe(text);
    const reordered = settings();
    const { coreDevices, clientDevices } = reordered.core!;
    reordered.core!.coreDevices = Object.fromEntries(Object.entries(coreDevices).reverse());
    reordered.core!.clientDevices = Object.fromEntries(Object.entries(clientDevices).reverse());
    expect(synthText('core-devices', reordered)).toBe(text);
  });
});

describe('the core stacks without config/core.yaml', () => {
  it.each(['core-account', 'core-devices'])('%s says which config file it needs', (stack) => {
    const { core: _, ...withoutCore } = settings();
    expect(() => buildStack(STACKS[stack], stack, withoutCore)).toThrow('This stack needs config/core.yaml, which does not exist.');
  });
});
