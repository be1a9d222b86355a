import { Fn, TerraformOutput, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { IotCertificate } from '@cdktf/provider-aws/lib/iot-certificate';
import { IotPolicy } from '@cdktf/provider-aws/lib/iot-policy';
import { IotPolicyAttachment } from '@cdktf/provider-aws/lib/iot-policy-attachment';
import { IotThing } from '@cdktf/provider-aws/lib/iot-thing';
import { IotThingGroup } from '@cdktf/provider-aws/lib/iot-thing-group';
import { IotThingGroupMembership } from '@cdktf/provider-aws/lib/iot-thing-group-membership';
import { IotThingPrincipalAttachment } from '@cdktf/provider-aws/lib/iot-thing-principal-attachment';
import { PushbuttonStack } from '../pushbutton-stack';
import { required, Settings } from '../settings';
import type { CertifiedThing, ClientDevice, CoreDevice } from './settings';

interface Statement {
  Action: string[];
  Resource: string[];
}

/** IoT policy JSON. Names are literal: `${iot:...}` policy variables would read as Terraform interpolation. */
function iotPolicyDocument(statements: Statement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements.map((s) => ({ Effect: 'Allow', ...s })) });
}

/** `arn:aws:iot:<region>:*:<resource>`: an IoT policy only ever applies within its own account. */
const iotArn = (region: string, resource: string) => `arn:aws:iot:${region}:*:${resource}`;

/**
 * The least a Greengrass V2 core device needs, with client device support (auth, IP detection):
 * AWS's minimal policies for basic operation and for client devices
 * (https://docs.aws.amazon.com/greengrass/v2/developerguide/device-auth.html).
 */
function coreDevicePolicy(region: string, thingName: string): string {
  const arn = (resource: string) => iotArn(region, resource);
  const thingTopics = `$aws/things/${thingName}*`;
  return iotPolicyDocument([
    { Action: ['iot:Connect'], Resource: [arn(`client/${thingName}*`)] },
    {
      Action: ['iot:Publish', 'iot:Receive'],
      Resource: ['greengrass/health/json', 'greengrassv2/health/json', 'jobs/*', 'shadow/*'].map((t) => arn(`topic/${thingTopics}/${t}`)),
    },
    { Action: ['iot:Subscribe'], Resource: ['jobs/*', 'shadow/*'].map((t) => arn(`topicfilter/${thingTopics}/${t}`)) },
    {
      Action: ['iot:GetThingShadow', 'iot:UpdateThingShadow', 'iot:DeleteThingShadow'],
      Resource: [arn(`thing/${thingName}*`)],
    },
    {
      Action: [
        'greengrass:GetComponentVersionArtifact',
        'greengrass:ResolveComponentCandidates',
        'greengrass:GetDeploymentConfiguration',
        'greengrass:ListThingGroupsForCoreDevice',
      ],
      Resource: ['*'],
    },
    { Action: ['greengrass:PutCertificateAuthorities', 'greengrass:VerifyClientDeviceIdentity'], Resource: ['*'] },
    // Client device auth checks any client thing's certificate, so not only this core's.
    { Action: ['greengrass:VerifyClientDeviceIoTCertificateAssociation'], Resource: [arn('thing/*')] },
    // Greengrass's own resource type, not an IoT thing: arn:${Partition}:greengrass:${Region}:${Account}:/greengrass/things/${ThingName}/connectivityInfo
    // (Service Authorization Reference, AWS IoT Greengrass V2). The IP detector updates it; client device auth reads it.
    {
      Action: ['greengrass:GetConnectivityInfo', 'greengrass:UpdateConnectivityInfo'],
      Resource: [`arn:aws:greengrass:${region}:*:/greengrass/things/${thingName}*/connectivityInfo`],
    },
  ]);
}

/** A client device: connect as itself, use its one topic, and discover its core. */
function clientDevicePolicy(region: string, thingName: string, topic: string): string {
  const arn = (resource: string) => iotArn(region, resource);
  return iotPolicyDocument([
    { Action: ['iot:Connect'], Resource: [arn(`client/${thingName}`)] },
    { Action: ['iot:Publish', 'iot:Receive'], Resource: [arn(`topic/${topic}`)] },
    { Action: ['iot:Subscribe'], Resource: [arn(`topicfilter/${topic}`)] },
    { Action: ['greengrass:Discover'], Resource: [arn(`thing/${thingName}`)] },
  ]);
}

/** Construct ids and variable names take a device name with hyphens as underscores. */
const snakeCase = (name: string) => name.replace(/-/g, '_');

/**
 * The core devices and client devices as IoT things, each with a certificate made from
 * the certificate request Pushbutton made on this machine (the private key never leaves
 * it) and its own least-privilege IoT policy. Core devices are in one thing group, the
 * target of Greengrass deployments.
 */
export class CoreDevicesStack extends PushbuttonStack {
  private readonly region: string;

  constructor(scope: Construct, stackName: string, settings: Settings) {
    super(scope, stackName, settings.project);
    const core = required(settings, 'core', 'core.yaml');
    this.region = settings.project.region;

    const roleAliasPolicyName = new TerraformVariable(this, 'core_account_role_alias_policy_name', {
      type: 'string',
      description: 'The IoT policy that lets a core device use the token exchange role alias (a fact of core-account)',
    });
    const group = new IotThingGroup(this, 'core_thing_group', {
      name: core.thingGroupName,
      properties: { description: 'Every Greengrass core device of the project' },
      tags: { Name: core.thingGroupName },
    });

    const coreDevices: Record<string, CertifiedThing> = {};
    for (const [name, device] of Object.entries(core.coreDevices)) {
      coreDevices[name] = this.coreDevice(device, group, roleAliasPolicyName.stringValue);
    }
    const clientGroup = new IotThingGroup(this, 'client_thing_group', {
      name: core.clientThingGroupName,
      properties: { description: 'Every client device of the project' },
      tags: { Name: core.clientThingGroupName },
    });
    const clientDevices: Record<string, CertifiedThing & { core_device: string }> = {};
    for (const [name, device] of Object.entries(core.clientDevices)) {
      clientDevices[name] = { ...this.clientDevice(device, clientGroup), core_device: device.coreDevice };
    }

    new TerraformOutput(this, 'thing_group_name', { value: group.name, description: 'The thing group of the core devices' });
    new TerraformOutput(this, 'thing_group_arn', { value: group.arn, description: 'The ARN of the thing group, the deployment target' });
    new TerraformOutput(this, 'client_thing_group_name', { value: clientGroup.name, description: 'The thing group of the client devices' });
    new TerraformOutput(this, 'client_thing_group_arn', { value: clientGroup.arn, description: 'The ARN of the thing group of the client devices' });
    new TerraformOutput(this, 'core_devices', {
      value: coreDevices,
      description: 'Per core device: its thing, certificate (public) and IoT policy',
    });
    new TerraformOutput(this, 'client_devices', {
      value: clientDevices,
      description: 'Per client device: its thing, certificate (public), IoT policy and the core device it connects to',
    });
  }

  private coreDevice(device: CoreDevice, group: IotThingGroup, roleAliasPolicyName: string): CertifiedThing {
    const id = (suffix: string) => `core_${snakeCase(device.name)}_${suffix}`;
    const certified = this.certifiedThing(device.name, device.thingName, id, coreDevicePolicy(this.region, device.thingName));
    new IotThingGroupMembership(this, id('group_membership'), {
      thingName: certified.thing_name,
      thingGroupName: group.name,
    });
    new IotPolicyAttachment(this, id('role_alias_policy_attachment'), {
      policy: roleAliasPolicyName,
      target: certified.certificate_arn,
    });
    return certified;
  }

  private clientDevice(device: ClientDevice, group: IotThingGroup): CertifiedThing {
    const id = (suffix: string) => `client_${snakeCase(device.name)}_${suffix}`;
    const certified = this.certifiedThing(device.name, device.thingName, id, clientDevicePolicy(this.region, device.thingName, device.topic));
    new IotThingGroupMembership(this, id('group_membership'), { thingName: certified.thing_name, thingGroupName: group.name });
    return certified;
  }

  /** A thing with a certificate from the device's certificate request, and its own policy attached to the certificate. */
  private certifiedThing(name: string, thingName: string, id: (suffix: string) => string, policyDocument: string): CertifiedThing {
    const csr = new TerraformVariable(this, `csr_${snakeCase(name)}`, {
      type: 'string',
      description: `The certificate signing request of device ${name}, made locally by Pushbutton (the private key stays on this machine)`,
    });
    const thing = new IotThing(this, id('thing'), { name: thingName });
    const certificate = new IotCertificate(this, id('certificate'), { csr: csr.stringValue, active: true });
    new IotThingPrincipalAttachment(this, id('certificate_thing_attachment'), { thing: thing.name, principal: certificate.arn });
    const policy = new IotPolicy(this, id('policy'), {
      name: `${thingName}-policy`,
      policy: policyDocument,
      tags: { Name: `${thingName}-policy` },
    });
    new IotPolicyAttachment(this, id('policy_attachment'), { policy: policy.name, target: certificate.arn });
    return {
      thing_name: thing.name,
      thing_arn: thing.arn,
      certificate_id: certificate.id,
      certificate_arn: certificate.arn,
      // Marked sensitive by the provider, but a certificate is public and the device needs it.
      certificate_pem: Fn.nonsensitive(certificate.certificatePem),
      policy_name: policy.name,
    };
  }
}

/** The core-devices stack unit. */
export default (scope: Construct, name: string, settings: Settings) => new CoreDevicesStack(scope, name, settings);
