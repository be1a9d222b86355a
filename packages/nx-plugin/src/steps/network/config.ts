// The network step's config: config/network.yaml, validated against schema.json, then resolved
// and checked for what a JSON Schema cannot express (address arithmetic).
import ipaddr from 'ipaddr.js';
import type { ProjectSettings } from '@pushbutton/stacks';
import type { IngressRule, NetworkSettings } from '@pushbutton/stacks/src/network/settings';
import type { ConfigIssue } from '../../config/config-error';
import type { ConfigFile } from '../../config/config-file';
import type { StepConfig } from '../../config/step-config';

type Cidr = { address: ipaddr.IPv4; prefix: number; text: string };

/** Parses an IPv4 CIDR block whose address is the network address (host bits zero). */
function parseCidr(text: string): Cidr | string {
  let address: ipaddr.IPv4;
  let prefix: number;
  try {
    [address, prefix] = ipaddr.IPv4.parseCIDR(text);
  } catch {
    return 'an IPv4 CIDR block: four numbers 0-255 and a prefix length 0-32, such as 10.20.0.0/16';
  }
  const network = ipaddr.IPv4.networkAddressFromCIDR(text).toString();
  if (network !== address.toString()) return `a network address with its host bits zero (${network}/${prefix})`;
  return { address, prefix, text };
}

function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && inner.address.match(outer.address, outer.prefix);
}

/** The ports of an ingress rule as written: `port`, or `fromPort` with an optional `toPort`; none for icmp. */
type RawIngressRule = {
  description: string;
  protocol: 'tcp' | 'udp' | 'icmp';
  port?: number;
  fromPort?: number;
  toPort?: number;
  cidr: string;
  allowWorld?: boolean;
};

const SSH_PORT = 22;

/** Resolves a rule's ports, or says what is wrong with them. */
function ingressPorts(
  file: ConfigFile,
  name: string,
  rule: RawIngressRule,
): { fromPort: number; toPort: number } | ConfigIssue {
  const path = ['ingress', name];
  const given = (['port', 'fromPort', 'toPort'] as const).filter((key) => rule[key] !== undefined);
  if (rule.protocol === 'icmp') {
    if (given.length) return file.issue([...path, given[0]], 'no ports for protocol icmp (it allows all ICMP)', String(rule[given[0]]), 'key');
    return { fromPort: -1, toPort: -1 };
  }
  if (rule.port !== undefined) {
    const extra = given.find((key) => key !== 'port');
    if (extra) return file.issue([...path, extra], 'either port or fromPort/toPort, not both', String(rule[extra]), 'key');
    return { fromPort: rule.port, toPort: rule.port };
  }
  if (rule.fromPort === undefined) {
    return file.issue(path, `a port (or fromPort and toPort) for protocol ${rule.protocol}`, 'nothing: no port given');
  }
  return { fromPort: rule.fromPort, toPort: rule.toPort ?? rule.fromPort };
}

/** Cross-field rules of network.yaml (which also reads the project's region). */
function networkIssues(file: ConfigFile, network: NetworkSettings, allowedWorld: Set<string>, project?: ProjectSettings): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const cidrAt = (path: (string | number)[], text: string, min: number, max: number): Cidr | undefined => {
    const cidr = parseCidr(text);
    if (typeof cidr === 'string') {
      issues.push(file.issue(path, cidr, JSON.stringify(text)));
      return undefined;
    }
    if (cidr.prefix < min || cidr.prefix > max) {
      issues.push(file.issue(path, `a prefix length from /${min} to /${max}`, JSON.stringify(text)));
      return undefined;
    }
    return cidr;
  };

  // AWS allows VPCs and subnets from /16 to /28.
  const vpc = cidrAt(['vpcCidr'], network.vpcCidr, 16, 28);
  const subnet = cidrAt(['subnet', 'cidr'], network.subnet.cidr, 16, 28);
  if (vpc && subnet && !contains(vpc, subnet)) {
    issues.push(file.issue(['subnet', 'cidr'], `a CIDR block inside vpcCidr ${vpc.text}`, JSON.stringify(subnet.text)));
  }
  const zone = network.subnet.availabilityZone;
  if (project && !new RegExp(`^${project.region}[a-z]$`).test(zone)) {
    issues.push(
      file.issue(
        ['subnet', 'availabilityZone'],
        `an availability zone of the project's region ${project.region}, such as ${project.region}a`,
        JSON.stringify(zone),
      ),
    );
  }
  for (const [name, rule] of Object.entries(network.ingress)) {
    const source = cidrAt(['ingress', name, 'cidr'], rule.cidr, 0, 32);
    const ssh = rule.protocol === 'tcp' && rule.fromPort <= SSH_PORT && SSH_PORT <= rule.toPort;
    if (ssh && source?.prefix === 0 && !allowedWorld.has(name)) {
      issues.push(
        file.issue(
          ['ingress', name, 'cidr'],
          'a network of yours, not the whole internet, for a rule that opens SSH (port 22): workers need no SSH (Session Manager reaches them); ' +
            'if you mean it, say so with allowWorld: true on the rule',
          JSON.stringify(rule.cidr),
        ),
      );
    }
    if (rule.fromPort > rule.toPort) {
      issues.push(
        file.issue(['ingress', name, 'toPort'], `a port at or above fromPort ${rule.fromPort}`, String(rule.toPort)),
      );
    }
  }
  return issues;
}

type RawNetwork = { vpcCidr: string; subnet: NetworkSettings['subnet']; ingress: Record<string, RawIngressRule> };

export const config: StepConfig<RawNetwork, NetworkSettings> = {
  resolve({ file, data, project }) {
    const issues: ConfigIssue[] = [];
    const ingress: Record<string, IngressRule> = {};
    for (const [name, rule] of Object.entries(data.ingress)) {
      const ports = ingressPorts(file, name, rule);
      if ('file' in ports) issues.push(ports);
      else ingress[name] = { description: rule.description, protocol: rule.protocol, cidr: rule.cidr, ...ports };
    }
    const settings: NetworkSettings = { vpcCidr: data.vpcCidr, subnet: data.subnet, ingress };
    const allowedWorld = new Set(Object.entries(data.ingress).flatMap(([name, rule]) => (rule.allowWorld ? [name] : [])));
    issues.push(...networkIssues(file, settings, allowedWorld, project));
    return { settings, issues };
  },
};
