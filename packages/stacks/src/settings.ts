// Settings the stacks are built from: the validated contents of config/*.yaml.
// Plain data, no cdktf import, so the plugin can import these types cheaply.

export interface ProjectSettings {
  /** Lowercase name; prefixes every resource name and is the `Project` tag. */
  name: string;
  region: string;
  tags: Record<string, string>;
  state: StateSettings;
}

export type StateSettings =
  | { backend: 'local' }
  | {
      backend: 's3';
      bucket: string;
      /** State of stack `x` is stored at `<keyPrefix>/x.tfstate`. */
      keyPrefix: string;
      region: string;
      /** S3-native state locking (Terraform >= 1.10). */
      useLockfile: boolean;
    };

export interface IngressRule {
  description: string;
  protocol: 'tcp' | 'udp' | 'icmp';
  fromPort: number;
  toPort: number;
  cidr: string;
}

export interface NetworkSettings {
  vpcCidr: string;
  subnet: { cidr: string; availabilityZone: string };
  /** Keyed by a stable rule name, so reordering the YAML does not churn resources. */
  ingress: Record<string, IngressRule>;
}

/** The whole validated config: each stack reads the parts it needs. */
export interface Settings {
  project: ProjectSettings;
  network?: NetworkSettings;
}

/** The part of the settings a stack needs, or a clear error naming the missing config file. */
export function required<K extends keyof Settings>(settings: Settings, key: K, file: string): NonNullable<Settings[K]> {
  const part = settings[key];
  if (!part) throw new Error(`This stack needs config/${file}, which does not exist.`);
  return part as NonNullable<Settings[K]>;
}
