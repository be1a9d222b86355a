// core-deliver: a bundle per core device (installed over ssh where it has a host) and per client device.
import { join } from 'node:path';
import type { Settings } from '@pushbutton/stacks';
import type { Bundle } from '../../bundles/deliver-bundle';
import { deviceKeyFiles } from '../../keys';
import type { Mode } from '../../mode';
import { paths } from '../../paths';
import type { DeliveryPlan } from '../kinds';

const coreDeliver: DeliveryPlan = (settings: Settings, root: string, mode: Mode): Bundle[] => {
  const core = settings.core!;
  const rendered = join(root, paths.renderDir(mode, 'core'));
  /** Where a bundle goes over ssh: a core device's host, port and folder; a client's goes nowhere. */
  type Destination = Pick<Bundle, 'host' | 'sshPort' | 'bundleDir'>;
  const bundle = (device: string, kind: 'core' | 'client', renderedDir: string, { host, sshPort, bundleDir }: Destination = { sshPort: 22 }): Bundle => {
    const rootName = `pushbutton-${kind}-${device}`;
    return {
      device,
      rootName,
      sourceDir: join(rendered, renderedDir, device),
      keyFile: deviceKeyFiles(root, mode, device).keyFile,
      bundleFile: join(root, paths.bundlesDir(mode), `${rootName}.tar.gz`),
      host,
      sshPort,
      bundleDir,
      kind,
    };
  };
  return [
    ...Object.values(core.coreDevices).map((d) => bundle(d.name, 'core', 'devices', d)),
    ...Object.values(core.clientDevices).map((c) => bundle(c.name, 'client', 'clients')),
  ];
};

export default coreDeliver;
