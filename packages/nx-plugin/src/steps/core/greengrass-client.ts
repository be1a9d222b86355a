import { GetCoreDeviceCommand, GetCoreDeviceResponse, GreengrassV2Client, ResourceNotFoundException } from '@aws-sdk/client-greengrassv2';

/** The SDK's standard retry mode backs off on throttling; five attempts ride out a burst. */
export const MAX_ATTEMPTS = 5;

export function greengrassClient(region: string): GreengrassV2Client {
  return new GreengrassV2Client({ region, maxAttempts: MAX_ATTEMPTS });
}

/** The core device, or undefined while it has not connected to Greengrass (or after it was deleted). */
export async function findCoreDevice(client: GreengrassV2Client, coreDeviceThingName: string): Promise<GetCoreDeviceResponse | undefined> {
  try {
    return await client.send(new GetCoreDeviceCommand({ coreDeviceThingName }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}
