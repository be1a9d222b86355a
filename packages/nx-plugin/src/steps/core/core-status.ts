// core-status: what Greengrass says of each core device now: its health, how our deployment
// went on it, and the state of every component it runs.
import type { GreengrassV2Client } from '@aws-sdk/client-greengrassv2';
import { isoSeconds, table } from '../../format';
import type { EffectContext, Command } from '../kinds';
import { coreDevicesFacts } from './core-deploy';
import type { CoreDeployFacts, CoreDeployment } from './facts';
import { findCoreDevice, greengrassClient, greengrassSdk } from './greengrass-client';

const HEADERS = ['core device', 'status', 'last status update', 'deployment', 'deployment status', 'component'];
export const NOT_REGISTERED = 'not registered yet: run its installer';

const coreDeployFacts = (ctx: EffectContext) => ctx.facts['core-deploy'] as CoreDeployFacts;

/** How our deployment went on the core, as the core reported it. */
async function deploymentStatus(client: GreengrassV2Client, coreDeviceThingName: string, deploymentId: string): Promise<string> {
  const { paginateListEffectiveDeployments } = await greengrassSdk();
  for await (const page of paginateListEffectiveDeployments({ client }, { coreDeviceThingName })) {
    const ours = page.effectiveDeployments?.find((d) => d.deploymentId === deploymentId);
    if (ours) return ours.reason ? `${ours.coreDeviceExecutionStatus} (${ours.reason})` : `${ours.coreDeviceExecutionStatus}`;
  }
  return 'not received yet';
}

/** `name version STATE` of every component on the core, dependencies included. */
async function installedComponents(client: GreengrassV2Client, coreDeviceThingName: string): Promise<string[]> {
  const { paginateListInstalledComponents } = await greengrassSdk();
  const components: string[] = [];
  for await (const page of paginateListInstalledComponents({ client }, { coreDeviceThingName, topologyFilter: 'ALL' })) {
    for (const c of page.installedComponents ?? []) components.push(`${c.componentName} ${c.componentVersion} ${c.lifecycleState}`);
  }
  return components.sort();
}

const timestamp = (date: Date | undefined) => (date ? isoSeconds(date) : '-');

/** One row per component; the core's own cells only on its first row. */
async function coreRows(client: GreengrassV2Client, thingName: string, deployment: CoreDeployment | undefined): Promise<string[][]> {
  const deploymentName = deployment?.deployment_name ?? '-';
  const device = await findCoreDevice(client, thingName);
  if (!device) return [[thingName, NOT_REGISTERED, '-', deploymentName, '-', '-']];
  const status = deployment ? await deploymentStatus(client, thingName, deployment.deployment_id) : '-';
  const components = await installedComponents(client, thingName);
  const first = [thingName, device.status ?? '-', timestamp(device.lastStatusUpdateTimestamp), deploymentName, status];
  if (!components.length) return [[...first, 'none reported yet']];
  return components.map((component, i) => [...(i === 0 ? first : first.map(() => '')), component]);
}

/** Core device records and active deployments of the project's things (Pushbutton names them `<project>-…`). */
async function projectLeftovers(ctx: EffectContext): Promise<string[]> {
  const { paginateListCoreDevices, paginateListDeployments } = await greengrassSdk();
  const client = await greengrassClient(ctx.region);
  const ours = (thingName = '') => thingName.startsWith(`${ctx.settings.project.name}-`);
  const left: string[] = [];
  for await (const page of paginateListCoreDevices({ client }, {})) {
    for (const core of page.coreDevices ?? []) if (ours(core.coreDeviceThingName)) left.push(`core device ${core.coreDeviceThingName} (${core.status})`);
  }
  for await (const page of paginateListDeployments({ client }, { historyFilter: 'LATEST_ONLY' })) {
    for (const d of page.deployments ?? []) {
      const thingName = d.targetArn?.split(':thing/')[1];
      if (d.deploymentStatus === 'ACTIVE' && ours(thingName)) left.push(`deployment ${d.deploymentId} to ${thingName} (ACTIVE)`);
    }
  }
  return left;
}

const coreStatus: Command = {
  options: [],

  async run(ctx) {
    const client = await greengrassClient(ctx.region);
    const deployments = coreDeployFacts(ctx).deployments;
    const rows: string[][] = [];
    for (const [name, core] of Object.entries(coreDevicesFacts(ctx).core_devices)) {
      rows.push(...(await coreRows(client, core.thing_name, deployments[name])));
    }
    return table(HEADERS, rows);
  },

  rehearse(ctx) {
    const rows = Object.values(coreDevicesFacts(ctx).core_devices).map((core) => [
      core.thing_name,
      'would query GetCoreDevice, ListEffectiveDeployments and ListInstalledComponents',
    ]);
    return table(['core device', 'rehearsal'], rows);
  },

  leftovers: projectLeftovers,
};

export default coreStatus;
