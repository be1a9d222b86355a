import { Testing } from 'cdktf';
import { buildStack, Settings } from '../../src';
import network from '../../src/network/network';

const settings = (overrides: Partial<Settings['network']> = {}, state: Settings['project']['state'] = { backend: 'local' }): Settings => ({
  project: { name: 'lab', region: 'eu-central-1', tags: { Owner: 'genomics' }, state },
  network: {
    vpcCidr: '10.8.0.0/16',
    subnet: { cidr: '10.8.3.0/24', availabilityZone: 'eu-central-1b' },
    ingress: {},
    ...overrides,
  },
});

type Synthesized = {
  resource: Record<string, Record<string, Record<string, any>>>;
  output: Record<string, { value: string }>;
  provider: { aws: { region: string }[] };
  terraform: { backend: Record<string, Record<string, unknown>> };
};

function synth(s: Settings): Synthesized {
  return JSON.parse(Testing.synth(buildStack(network, 'network', s).stack));
}

const addresses = (json: Synthesized) =>
  Object.entries(json.resource).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`)).sort();

describe('the network stack', () => {
  const json = synth(settings());
  const r = json.resource;

  it('has exactly one VPC, subnet, gateway, route table, default route, association, security group and egress rule', () => {
    expect(addresses(json)).toEqual([
      'aws_internet_gateway.internet_gateway',
      'aws_route.default_route',
      'aws_route_table.route_table',
      'aws_route_table_association.subnet_routes',
      'aws_security_group.security_group',
      'aws_subnet.subnet',
      'aws_vpc.vpc',
      'aws_vpc_security_group_egress_rule.egress_all',
    ]);
  });

  it('builds the VPC and subnet from config, with DNS hostnames', () => {
    expect(r.aws_vpc.vpc).toMatchObject({ cidr_block: '10.8.0.0/16', enable_dns_hostnames: true, enable_dns_support: true });
    expect(r.aws_subnet.subnet).toMatchObject({
      cidr_block: '10.8.3.0/24',
      availability_zone: 'eu-central-1b',
      vpc_id: '${aws_vpc.vpc.id}',
      map_public_ip_on_launch: true,
    });
    expect(json.provider.aws[0].region).toBe('eu-central-1');
  });

  it('routes 0.0.0.0/0 through the internet gateway, for the subnet', () => {
    expect(r.aws_internet_gateway.internet_gateway.vpc_id).toBe('${aws_vpc.vpc.id}');
    expect(r.aws_route.default_route).toMatchObject({
      route_table_id: '${aws_route_table.route_table.id}',
      destination_cidr_block: '0.0.0.0/0',
      gateway_id: '${aws_internet_gateway.internet_gateway.id}',
    });
    expect(r.aws_route_table_association.subnet_routes).toMatchObject({
      subnet_id: '${aws_subnet.subnet.id}',
      route_table_id: '${aws_route_table.route_table.id}',
    });
  });

  it('allows all egress and no ingress by default (no SSH)', () => {
    const group = r.aws_security_group.security_group;
    expect(group).toMatchObject({ name: 'lab-workers', vpc_id: '${aws_vpc.vpc.id}' });
    expect(group.ingress).toBeUndefined();
    expect(group.egress).toBeUndefined();
    expect(r.aws_vpc_security_group_egress_rule.egress_all).toMatchObject({
      security_group_id: '${aws_security_group.security_group.id}',
      ip_protocol: '-1',
      cidr_ipv4: '0.0.0.0/0',
    });
    expect(r.aws_vpc_security_group_ingress_rule).toBeUndefined();
  });

  it('allows exactly the ingress config lists, one rule each', () => {
    const withIngress = synth(
      settings({
        ingress: {
          'lab-https': { description: 'Dashboards', protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '203.0.113.0/24' },
          ping: { description: 'Ping', protocol: 'icmp', fromPort: -1, toPort: -1, cidr: '10.0.0.0/8' },
        },
      }),
    );
    expect(withIngress.resource.aws_vpc_security_group_ingress_rule).toEqual({
      'ingress_lab-https': expect.objectContaining({
        security_group_id: '${aws_security_group.security_group.id}',
        ip_protocol: 'tcp',
        from_port: 443,
        to_port: 443,
        cidr_ipv4: '203.0.113.0/24',
        description: 'Dashboards',
      }),
      ingress_ping: expect.objectContaining({ ip_protocol: 'icmp', from_port: -1, to_port: -1, cidr_ipv4: '10.0.0.0/8' }),
    });
  });

  it("tags every resource that takes tags with the project's name, the config's tags and a Name", () => {
    const untaggable = ['aws_route', 'aws_route_table_association'];
    for (const [type, byName] of Object.entries(r)) {
      for (const [name, resource] of Object.entries(byName)) {
        if (untaggable.includes(type)) {
          expect(resource.tags, `${type}.${name}`).toBeUndefined();
          continue;
        }
        expect(resource.tags, `${type}.${name}`).toEqual({
          Project: 'lab',
          ManagedBy: 'pushbutton',
          Owner: 'genomics',
          Name: expect.stringMatching(/^lab-/),
        });
      }
    }
  });

  it('hands on the VPC, subnet and security group ids as outputs', () => {
    expect(json.output).toEqual({
      vpc_id: expect.objectContaining({ value: '${aws_vpc.vpc.id}' }),
      subnet_id: expect.objectContaining({ value: '${aws_subnet.subnet.id}' }),
      security_group_id: expect.objectContaining({ value: '${aws_security_group.security_group.id}' }),
    });
  });

  it('keeps local state at a relative path, so every clone synthesizes the same Terraform', () => {
    expect(json.terraform.backend).toEqual({ local: { path: 'terraform.tfstate' } });
    expect(Testing.synth(buildStack(network, 'network', settings()).stack)).toBe(Testing.synth(buildStack(network, 'network', settings()).stack));
  });

  it('keeps state in S3 with a lock file when config says so', () => {
    const s3 = synth(settings({}, { backend: 's3', bucket: 'lab-state', keyPrefix: 'teams/lab', region: 'us-east-1', useLockfile: true }));
    expect(s3.terraform.backend).toEqual({
      s3: { bucket: 'lab-state', key: 'teams/lab/network.tfstate', region: 'us-east-1', encrypt: true, use_lockfile: true },
    });
  });
});
