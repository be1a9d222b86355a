// Rules a JSON Schema cannot express: address arithmetic and agreement between keys and files.
import ipaddr from 'ipaddr.js';
import type { CoreSettings, NetworkSettings, ProjectSettings, WorkflowSettings } from '@pushbutton/stacks';
import { resultsBucketPrefix } from '@pushbutton/stacks/src/settings';
import { casesBySource } from '../workflows/cases';
import type { ConfigIssue } from './config-error';
import type { ConfigFile } from './config-file';

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

/**
 * The AWS provider refuses an aws_s3_bucket bucket_prefix over 37 characters: bucket names are at most
 * 63, and it appends a 26-character unique suffix
 * (https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/s3_bucket#bucket_prefix).
 */
export const BUCKET_PREFIX_MAX = 37;
/** Rules of project.yaml that depend on which steps exist: names derived from the project's must fit AWS's limits. */
export function projectIssues(file: ConfigFile, project: ProjectSettings, steps: { workflows?: WorkflowSettings }): ConfigIssue[] {
  const prefix = resultsBucketPrefix(project.name);
  if (!steps.workflows || prefix.length <= BUCKET_PREFIX_MAX) return [];
  const most = BUCKET_PREFIX_MAX - resultsBucketPrefix('').length;
  const why = `the results bucket's name prefix "${resultsBucketPrefix('<name>')}" may be at most ${BUCKET_PREFIX_MAX} characters (S3's 63, less the 26 Terraform appends)`;
  return [file.issue(['name'], `a name of at most ${most} characters with the workflow step: ${why}`, `${JSON.stringify(project.name)} (${project.name.length} characters)`)];
}

/** Cross-field rules of network.yaml (which also reads the project's region). */
export function networkIssues(file: ConfigFile, network: NetworkSettings, project?: ProjectSettings): ConfigIssue[] {
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
    cidrAt(['ingress', name, 'cidr'], rule.cidr, 0, 32);
    if (rule.fromPort > rule.toPort) {
      issues.push(
        file.issue(['ingress', name, 'toPort'], `a port at or above fromPort ${rule.fromPort}`, String(rule.toPort)),
      );
    }
  }
  return issues;
}

/** The ports of an ingress rule as written: `port`, or `fromPort` with an optional `toPort`; none for icmp. */
export type RawIngressRule = {
  description: string;
  protocol: 'tcp' | 'udp' | 'icmp';
  port?: number;
  fromPort?: number;
  toPort?: number;
  cidr: string;
};

/** Resolves a rule's ports, or says what is wrong with them. */
export function ingressPorts(
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

const REQUIRED_COMPONENTS = [
  ['aws.greengrass.clientdevices.Auth', 'client device auth'],
  ['aws.greengrass.clientdevices.IPDetector', 'the IP detector'],
  ['aws.greengrass.Cli', 'the Greengrass CLI'],
] as const;
export const MQTT_BROKERS = ['aws.greengrass.clientdevices.mqtt.Moquette', 'aws.greengrass.clientdevices.mqtt.EMQX'];

/** Cross-field rules of core.yaml: clients name a core that exists, and every core gets what client devices need. */
export function coreIssues(file: ConfigFile, core: CoreSettings): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const cores = Object.keys(core.coreDevices);
  for (const client of Object.values(core.clientDevices)) {
    if (core.coreDevices[client.name]) {
      issues.push(file.issue(['clientDevices', client.name], 'a name no core device has (both become IoT things)', JSON.stringify(client.name), 'key'));
    }
    if (!cores.includes(client.coreDevice)) {
      issues.push(file.issue(['clientDevices', client.name, 'coreDevice'], `one of the core devices: ${cores.join(', ')}`, JSON.stringify(client.coreDevice)));
    }
  }
  const components = Object.keys(core.components);
  for (const [name, what] of REQUIRED_COMPONENTS) {
    if (!components.includes(name)) issues.push(file.issue(['components'], `a version for ${name} (${what})`, 'none'));
  }
  if (!MQTT_BROKERS.some((broker) => components.includes(broker))) {
    issues.push(file.issue(['components'], `an MQTT broker: a version for ${MQTT_BROKERS.join(' or ')}`, 'none'));
  }
  return issues;
}

/** Cross-field rules of workflows.yaml: cases and studies name workflows that exist, and no case is given twice. */
export function workflowIssues(file: ConfigFile, workflows: WorkflowSettings): ConfigIssue[] {
  const known = Object.keys(workflows.workflows);
  const unknown = (path: (string | number)[], name: string) =>
    file.issue(path, `one of the workflows: ${known.join(', ')}`, JSON.stringify(name));
  const issues: ConfigIssue[] = [];
  workflows.cases.forEach((c, index) => {
    if (!known.includes(c.workflow)) issues.push(unknown(['cases', index, 'workflow'], c.workflow));
  });
  for (const study of Object.values(workflows.studies)) {
    if (!known.includes(study.workflow)) issues.push(unknown(['studies', study.name, 'workflow'], study.workflow));
    study.exclude.forEach((entry, index) => {
      for (const path of Object.keys(entry).filter((p) => !(p in study.matrix))) {
        issues.push(file.issue(['studies', study.name, 'exclude', index, path], `a path of the matrix: ${Object.keys(study.matrix).join(', ')}`, JSON.stringify(path), 'key'));
      }
    });
  }
  return issues.length ? issues : duplicateCaseIssues(file, workflows);
}

function duplicateCaseIssues(file: ConfigFile, workflows: WorkflowSettings): ConfigIssue[] {
  const first = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  for (const { source, workflowCase } of casesBySource(workflows)) {
    const earlier = first.get(workflowCase.id);
    const where = source.join('.');
    if (earlier === undefined) first.set(workflowCase.id, where);
    else if (earlier !== where) {
      issues.push(file.issue(source, `a case not already given by ${earlier}`, `the same workflow, parameters and inputs (case ${workflowCase.id})`));
    }
  }
  return issues;
}
