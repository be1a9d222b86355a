// The Greengrass SDK loads when a call needs it: the effect and command executors load every unit's
// code, and a rehearsal calls no AWS at all.
import type { GetCoreDeviceResponse, GreengrassV2Client } from '@aws-sdk/client-greengrassv2';

export const greengrassSdk = () => import('@aws-sdk/client-greengrassv2');

/** The SDK's standard retry mode backs off on throttling; five attempts ride out a burst. */
export const MAX_ATTEMPTS = 5;

export async function greengrassClient(region: string): Promise<GreengrassV2Client> {
  return new (await greengrassSdk()).GreengrassV2Client({ region, maxAttempts: MAX_ATTEMPTS });
}

/** What `call` gives, or undefined where Greengrass answers that what it asks for does not exist. */
export async function ifFound<T>(call: () => Promise<T>): Promise<T | undefined> {
  const { ResourceNotFoundException } = await greengrassSdk();
  try {
    return await call();
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** The core device, or undefined while it has not connected to Greengrass (or after it was deleted). */
export async function findCoreDevice(client: GreengrassV2Client, coreDeviceThingName: string): Promise<GetCoreDeviceResponse | undefined> {
  const { GetCoreDeviceCommand } = await greengrassSdk();
  return ifFound(() => client.send(new GetCoreDeviceCommand({ coreDeviceThingName })));
}
