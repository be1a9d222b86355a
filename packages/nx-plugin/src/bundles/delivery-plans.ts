// Which bundles a deliver unit packs, from what, and where each one goes.
import { join } from 'node:path';
import type { Settings } from '@pushbutton/stacks';
import { deviceKeyFiles } from '../keys';
import { paths } from '../paths';
import type { Mode } from '../terraform/preflight';

export interface Bundle {
  /** Device name in config. */
  device: string;
  /** The folder the bundle unpacks to on the device, and the archive's name. */
  rootName: string;
  /** Absolute: the rendered files the bundle holds. */
  sourceDir: string;
  /** Absolute: the device's private key, packed at 0600. */
  keyFile: string;
  /** Absolute: the archive. */
  bundleFile: string;
  /** Core devices only: where to install it over ssh, when configured. */
  host?: string;
  sshPort: number;
  /** Install on a core device, or hand to whoever runs the client test. */
  kind: 'core' | 'client';
}

function coreBundles(settings: Settings, root: string, mode: Mode): Bundle[] {
  const core = settings.core!;
  const rendered = join(root, paths.renderDir(mode, 'core'));
  const bundle = (device: string, kind: 'core' | 'client', renderedDir: string, host?: string, sshPort = 22): Bundle => {
    const rootName = `pushbutton-${kind}-${device}`;
    return {
      device,
      rootName,
      sourceDir: join(rendered, renderedDir, device),
      keyFile: deviceKeyFiles(root, mode, device).keyFile,
      bundleFile: join(root, paths.bundlesDir(mode), `${rootName}.tar.gz`),
      host,
      sshPort,
      kind,
    };
  };
  return [
    ...Object.values(core.coreDevices).map((d) => bundle(d.name, 'core', 'devices', d.host, d.sshPort)),
    ...Object.values(core.clientDevices).map((c) => bundle(c.name, 'client', 'clients')),
  ];
}

export const DELIVERY_PLANS: Record<string, (settings: Settings, root: string, mode: Mode) => Bundle[]> = {
  'core-deliver': coreBundles,
};
