// The network step's settings: config/network.yaml, validated.

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

declare module '../settings' {
  interface StepSettings {
    /** config/network.yaml */
    network: NetworkSettings;
  }
}
