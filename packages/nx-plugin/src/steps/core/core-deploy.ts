// core-deploy: per core device, its client devices associated with it (for cloud discovery)
// and one Greengrass deployment of the configured components, with the client device auth
// component's device group. The AWS provider has no resource for either.
import { createHash } from 'node:crypto';
import type { ComponentDeploymentSpecification, GetDeploymentResponse, GreengrassV2Client } from '@aws-sdk/client-greengrassv2';
import type { ProjectSettings } from '@pushbutton/stacks';
import type { CertifiedThing, ClientDevice, CoreSettings } from '@pushbutton/stacks/src/core/settings';
import { projectTags } from '@pushbutton/stacks/src/settings';
import stableStringify from 'json-stable-stringify';
import type { Effect, EffectContext } from '../kinds';
import type { CoreComponentsFacts, CoreDeployFacts, CoreDeployment, CoreDevicesFacts } from './facts';
import { LOG_MANAGER } from './config';
import { findCoreDevice, greengrassClient, greengrassSdk, ifFound } from './greengrass-client';

/** The tag holding the hash of the deployment spec Pushbutton made, to tell whether it is still current. */
export const SPEC_TAG = 'pushbutton:spec';
const CLIENT_DEVICE_AUTH = 'aws.greengrass.clientdevices.Auth';

/** A core device as this effect needs it: its thing and the client devices that connect to it. */
interface CoreTarget {
  name: string;
  thingName: string;
  thingArn: string;
  /** Sorted by thing name, so reordering the YAML changes no deployment. */
  clients: ClientDevice[];
}

type DesiredDeployment = {
  targetArn: string;
  deploymentName: string;
  components: Record<string, ComponentDeploymentSpecification>;
};

export const coreDevicesFacts = (ctx: EffectContext) => ctx.facts['core-devices'] as CoreDevicesFacts;

function coreSettings(ctx: EffectContext): CoreSettings {
  if (!ctx.settings.core) throw new Error('core-deploy needs config/core.yaml, which does not exist.');
  return ctx.settings.core;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The custom components core-components made, name to version; none without them (or its facts). */
function customVersions(ctx: EffectContext): Record<string, string> {
  const made = (ctx.facts['core-components'] as CoreComponentsFacts | undefined)?.components ?? {};
  return Object.fromEntries(Object.values(made).map((component) => [component.name, component.version]));
}

/** Every component each core runs: the configured ones and the custom ones. */
const wantedComponents = (ctx: EffectContext) => ({ ...coreSettings(ctx).components, ...customVersions(ctx) });

function coreTargets(ctx: EffectContext): CoreTarget[] {
  const core = coreSettings(ctx);
  const things = coreDevicesFacts(ctx).core_devices;
  return Object.values(core.coreDevices)
    .sort((a, b) => byName(a.name, b.name))
    .map((device) => {
      const thing = things[device.name];
      if (!thing) throw new Error(`The facts of core-devices have no core device ${device.name}: apply core-devices first.`);
      const clients = Object.values(core.clientDevices)
        .filter((client) => client.coreDevice === device.name)
        .sort((a, b) => byName(a.thingName, b.thingName));
      return { name: device.name, thingName: thing.thing_name, thingArn: thing.thing_arn, clients };
    });
}

/** Client device auth's device group for one core's clients: they may connect, and use their own topics. */
function deviceGroupMerge(group: string, clients: ClientDevice[]): string {
  const policyName = `${group}Policy`;
  const topics = [...new Set(clients.map((client) => client.topic))];
  return JSON.stringify({
    deviceGroups: {
      formatVersion: '2021-03-05',
      definitions: {
        [group]: {
          selectionRule: clients.map((client) => `thingName: ${client.thingName}`).join(' OR '),
          policyName,
        },
      },
      policies: {
        [policyName]: {
          AllowConnect: {
            statementDescription: 'The client devices of this core device may connect to its MQTT broker.',
            operations: ['mqtt:connect'],
            resources: ['*'],
          },
          AllowClientTopics: {
            statementDescription: 'The client devices may publish and subscribe to their configured topics.',
            operations: ['mqtt:publish', 'mqtt:subscribe'],
            resources: topics.flatMap((topic) => [`mqtt:topic:${topic}`, `mqtt:topicfilter:${topic}`]),
          },
        },
      },
    },
  });
}

function desiredDeployment(core: CoreSettings, target: CoreTarget, custom: Record<string, string>): DesiredDeployment {
  const components: Record<string, ComponentDeploymentSpecification> = {};
  for (const [name, componentVersion] of Object.entries({ ...core.components, ...custom })) components[name] = { componentVersion };
  const auth = components[CLIENT_DEVICE_AUTH];
  if (auth) {
    // Reset first, so a renamed group or a removed client leaves no stale definition on the device.
    auth.configurationUpdate = target.clients.length
      ? { reset: ['/deviceGroups'], merge: deviceGroupMerge(core.clientDeviceGroup, target.clients) }
      : { reset: ['/deviceGroups'] };
  }
  const logManager = components[LOG_MANAGER];
  if (logManager && core.logs.upload) logManager.configurationUpdate = { merge: logManagerMerge(core, Object.keys(custom)) };
  return { targetArn: target.thingArn, deploymentName: `pushbutton-${target.thingName}`, components };
}

/**
 * The log manager's configuration: the nucleus's logs and every configured component's, uploaded to
 * CloudWatch Logs every so often (https://docs.aws.amazon.com/greengrass/v2/developerguide/log-manager-component.html).
 */
function logManagerMerge(core: CoreSettings, custom: string[]): string {
  const level = { minimumLogLevel: core.logs.minimumLevel };
  const components = [...Object.keys(core.components), ...custom].filter((name) => name !== LOG_MANAGER);
  return JSON.stringify({
    logsUploaderConfiguration: {
      systemLogsConfiguration: { uploadToCloudWatch: 'true', ...level },
      componentLogsConfigurationMap: Object.fromEntries(components.map((name) => [name, level])),
    },
    periodicUploadIntervalSec: core.logs.uploadIntervalSeconds,
  });
}

// Keys sorted at every level, so equal specs hash equal.
const specHash = (deployment: DesiredDeployment) => createHash('sha256').update(stableStringify(deployment) ?? '').digest('hex');

function deploymentTags(project: ProjectSettings, hash: string): Record<string, string> {
  return { ...projectTags(project), [SPEC_TAG]: hash };
}

async function associatedClients(client: GreengrassV2Client, coreDeviceThingName: string): Promise<string[]> {
  const { paginateListClientDevicesAssociatedWithCoreDevice } = await greengrassSdk();
  const names: string[] = [];
  for await (const page of paginateListClientDevicesAssociatedWithCoreDevice({ client }, { coreDeviceThingName })) {
    for (const device of page.associatedClientDevices ?? []) if (device.thingName) names.push(device.thingName);
  }
  return names;
}

type ErrorEntry = { thingName?: string; code?: string; message?: string };

function failIfAny(action: string, coreThing: string, errors: ErrorEntry[] | undefined): void {
  if (!errors?.length) return;
  const details = errors.map((e) => `${e.thingName}: ${e.code} ${e.message ?? ''}`.trim()).join('; ');
  throw new Error(`Could not ${action} core device ${coreThing}: ${details}`);
}

async function associate(client: GreengrassV2Client, coreDeviceThingName: string, thingNames: string[]): Promise<void> {
  const { BatchAssociateClientDeviceWithCoreDeviceCommand } = await greengrassSdk();
  const entries = thingNames.map((thingName) => ({ thingName }));
  const { errorEntries } = await client.send(new BatchAssociateClientDeviceWithCoreDeviceCommand({ coreDeviceThingName, entries }));
  failIfAny(`associate client devices with`, coreDeviceThingName, errorEntries);
}

async function disassociate(client: GreengrassV2Client, coreDeviceThingName: string, thingNames: string[]): Promise<void> {
  const { BatchDisassociateClientDeviceFromCoreDeviceCommand } = await greengrassSdk();
  const entries = thingNames.map((thingName) => ({ thingName }));
  const { errorEntries } = await client.send(new BatchDisassociateClientDeviceFromCoreDeviceCommand({ coreDeviceThingName, entries }));
  failIfAny(`disassociate client devices from`, coreDeviceThingName, errorEntries);
}

/** Pushbutton made every thing whose name starts with the project's prefix. */
const madeByPushbutton = (project: ProjectSettings) => (thingName: string) => thingName.startsWith(`${project.name}-`);

type AssociationOutcome = { associated: string[] } | { pending: string };

/** Associates the core's configured clients, and disassociates clients of ours it no longer has. */
async function syncClientAssociations(
  client: GreengrassV2Client,
  ctx: EffectContext,
  target: CoreTarget,
): Promise<AssociationOutcome> {
  const wanted = target.clients.map((c) => c.thingName);
  const associated = await ifFound(async () => {
    const current = await associatedClients(client, target.thingName);
    const missing = wanted.filter((name) => !current.includes(name));
    const stale = current.filter((name) => !wanted.includes(name)).filter(madeByPushbutton(ctx.settings.project));
    if (missing.length) {
      await associate(client, target.thingName, missing);
      ctx.print(`Associated client devices ${missing.join(', ')} with core device ${target.thingName}.`);
    }
    if (stale.length) {
      await disassociate(client, target.thingName, stale);
      ctx.print(`Disassociated client devices ${stale.join(', ')} from core device ${target.thingName}: no longer configured.`);
    }
    return [...current.filter((name) => !stale.includes(name)), ...missing].sort(byName);
  });
  if (associated) return { associated };
  return {
    pending:
      `core device ${target.thingName} has not connected to Greengrass yet: its client devices will be ` +
      `associated on the next provision after its installer runs`,
  };
}

/** The latest deployment to the target, with its tags, if there is one. */
async function latestDeployment(client: GreengrassV2Client, targetArn: string): Promise<GetDeploymentResponse | undefined> {
  const { ListDeploymentsCommand, GetDeploymentCommand } = await greengrassSdk();
  const { deployments = [] } = await client.send(new ListDeploymentsCommand({ targetArn, historyFilter: 'LATEST_ONLY' }));
  const deploymentId = deployments[0]?.deploymentId;
  return deploymentId ? client.send(new GetDeploymentCommand({ deploymentId })) : undefined;
}

const isCurrent = (deployment: GetDeploymentResponse | undefined, hash: string) =>
  deployment?.tags?.[SPEC_TAG] === hash && deployment.deploymentStatus !== 'CANCELED' && deployment.deploymentStatus !== 'FAILED';

/** Where a core device is with a deployment, as it reports it (ListEffectiveDeployments). */
async function executionStatus(client: GreengrassV2Client, coreDeviceThingName: string, deploymentId: string): Promise<string | undefined> {
  const { paginateListEffectiveDeployments } = await greengrassSdk();
  for await (const page of paginateListEffectiveDeployments({ client }, { coreDeviceThingName })) {
    const ours = page.effectiveDeployments?.find((d) => d.deploymentId === deploymentId);
    if (ours) return ours.coreDeviceExecutionStatus;
  }
  return undefined;
}

/** `name version` of each configured component the core does not run at that version; undefined for a core not registered yet. */
async function missingComponents(client: GreengrassV2Client, coreDeviceThingName: string, wanted: Record<string, string>): Promise<string[] | undefined> {
  const { paginateListInstalledComponents } = await greengrassSdk();
  const installed = await ifFound(async () => {
    const versions = new Map<string, string | undefined>();
    for await (const page of paginateListInstalledComponents({ client }, { coreDeviceThingName, topologyFilter: 'ROOT' })) {
      for (const c of page.installedComponents ?? []) if (c.componentName) versions.set(c.componentName, c.componentVersion);
    }
    return versions;
  });
  if (!installed) return undefined;
  return Object.entries(wanted)
    .filter(([name, version]) => installed.get(name) !== version)
    .map(([name, version]) => `${name} ${version}`);
}

/** Statuses in which the core is done with a deployment: it will not apply that revision again. */
const DONE_WITH = ['SUCCEEDED', 'COMPLETED'];

/**
 * Whether the core needs the current deployment sent again as a new revision: it applied it once,
 * yet no longer runs what it deploys. A reinstalled nucleus (`--init-config`) starts without its
 * components and ignores a deployment it has already seen.
 */
async function lostItsComponents(client: GreengrassV2Client, ctx: EffectContext, target: CoreTarget, deploymentId: string): Promise<boolean> {
  const missing = await missingComponents(client, target.thingName, wantedComponents(ctx));
  if (!missing?.length) return false;
  const status = await executionStatus(client, target.thingName, deploymentId);
  if (!status || !DONE_WITH.includes(status)) return false;
  ctx.print(
    `Core device ${target.thingName} applied deployment ${deploymentId} (${status}) but no longer runs ${missing.join(', ')}: ` +
      'it was reinstalled, so the deployment goes to it again as a new revision.',
  );
  return true;
}

/** Creates the core's deployment unless its latest one already has this spec and the core still runs it. */
async function ensureDeployment(client: GreengrassV2Client, ctx: EffectContext, target: CoreTarget): Promise<CoreDeployment> {
  const desired = desiredDeployment(coreSettings(ctx), target, customVersions(ctx));
  const hash = specHash(desired);
  const latest = await latestDeployment(client, desired.targetArn);
  if (latest?.deploymentId && isCurrent(latest, hash) && !(await lostItsComponents(client, ctx, target, latest.deploymentId))) {
    ctx.print(`Deployment ${latest.deploymentId} to core device ${target.thingName} is up to date (${latest.deploymentStatus}).`);
    return { deployment_id: latest.deploymentId, deployment_name: desired.deploymentName, spec_hash: hash, created: false };
  }
  const tags = deploymentTags(ctx.settings.project, hash);
  // A deployment to a target that has one replaces it as a new revision, which the core applies.
  const { CreateDeploymentCommand } = await greengrassSdk();
  const { deploymentId } = await client.send(new CreateDeploymentCommand({ ...desired, tags }));
  if (!deploymentId) throw new Error(`Greengrass returned no deployment id for core device ${target.thingName}.`);
  ctx.print(`Created deployment ${deploymentId} to core device ${target.thingName}.`);
  return { deployment_id: deploymentId, deployment_name: desired.deploymentName, spec_hash: hash, created: true };
}

/** Disassociates every client of ours from the core; a core Greengrass does not know has none. */
async function removeClientAssociations(client: GreengrassV2Client, ctx: EffectContext, core: CertifiedThing): Promise<void> {
  await ifFound(async () => {
    const ours = (await associatedClients(client, core.thing_name)).filter(madeByPushbutton(ctx.settings.project));
    if (!ours.length) return;
    await disassociate(client, core.thing_name, ours);
    ctx.print(`Disassociated client devices ${ours.join(', ')} from core device ${core.thing_name}.`);
  });
}

/** Cancels (if active) and deletes the core's latest deployment, if Pushbutton made it. */
async function removeDeployment(client: GreengrassV2Client, ctx: EffectContext, core: CertifiedThing): Promise<void> {
  const latest = await latestDeployment(client, core.thing_arn);
  const deploymentId = latest?.deploymentId;
  if (!deploymentId || !latest.tags?.[SPEC_TAG]) return;
  const { CancelDeploymentCommand, DeleteDeploymentCommand } = await greengrassSdk();
  if (latest.deploymentStatus === 'ACTIVE') await ifFound(() => client.send(new CancelDeploymentCommand({ deploymentId })));
  await ifFound(() => client.send(new DeleteDeploymentCommand({ deploymentId })));
  ctx.print(`Deleted deployment ${deploymentId} to core device ${core.thing_name}.`);
}

/**
 * Deletes Greengrass's record of the core device (its status, components and deployments as the core
 * reported them); the IoT thing is core-devices' to delete. Cores that never connected have none.
 */
async function removeCoreDeviceRecord(client: GreengrassV2Client, ctx: EffectContext, core: CertifiedThing): Promise<void> {
  if (!(await findCoreDevice(client, core.thing_name))) return;
  const { DeleteCoreDeviceCommand } = await greengrassSdk();
  await ifFound(() => client.send(new DeleteCoreDeviceCommand({ coreDeviceThingName: core.thing_name })));
  ctx.print(`Deleted the Greengrass core device record of ${core.thing_name}.`);
}

function rehearseCore(ctx: EffectContext, target: CoreTarget): CoreDeployment {
  const desired = desiredDeployment(coreSettings(ctx), target, customVersions(ctx));
  const hash = specHash(desired);
  const components = Object.entries(desired.components).map(([name, spec]) => `${name} ${spec.componentVersion}`);
  ctx.print(`Core device ${target.thingName}: would deploy ${components.join(', ')} (deployment ${desired.deploymentName}).`);
  const clients = target.clients.map((c) => c.thingName);
  ctx.print(
    clients.length
      ? `Core device ${target.thingName}: would associate client devices ${clients.join(', ')}.`
      : `Core device ${target.thingName}: has no client devices.`,
  );
  return { deployment_id: `rehearsal-${hash.slice(0, 12)}`, deployment_name: desired.deploymentName, spec_hash: hash, created: true };
}

const coreDeploy: Effect = {
  async apply(ctx) {
    const client = await greengrassClient(ctx.region);
    const facts: CoreDeployFacts = { deployments: {}, client_associations: {} };
    const pending: string[] = [];
    for (const target of coreTargets(ctx)) {
      const outcome = await syncClientAssociations(client, ctx, target);
      if ('pending' in outcome) pending.push(outcome.pending);
      facts.client_associations[target.name] = 'associated' in outcome ? outcome.associated : [];
      facts.deployments[target.name] = await ensureDeployment(client, ctx, target);
    }
    return { facts, pending };
  },

  rehearse(ctx) {
    const facts: CoreDeployFacts = { deployments: {}, client_associations: {} };
    for (const target of coreTargets(ctx)) {
      facts.deployments[target.name] = rehearseCore(ctx, target);
      facts.client_associations[target.name] = target.clients.map((c) => c.thingName);
    }
    return { facts, pending: [] };
  },

  // What the cores run is part of what this effect leaves: a reinstalled core makes it run again.
  stateParts(ctx) {
    return ctx.mode === 'live' ? { greengrassCores: { region: ctx.region, thingNames: coreTargets(ctx).map((t) => t.thingName) } } : {};
  },

  // Works from the core devices that exist (the facts), not the config, which may have dropped some since.
  async destroy(ctx) {
    const client = await greengrassClient(ctx.region);
    for (const core of Object.values(coreDevicesFacts(ctx).core_devices)) {
      await removeClientAssociations(client, ctx, core);
      await removeDeployment(client, ctx, core);
      await removeCoreDeviceRecord(client, ctx, core);
    }
  },
};

export default coreDeploy;
