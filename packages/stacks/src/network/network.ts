import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { PushbuttonStack } from '../pushbutton-stack';
import { required, Settings } from '../settings';
import type {} from './settings'; // the step's settings, under StepSettings

/**
 * One VPC with one public subnet: workers reach the internet through the
 * internet gateway; nothing reaches them except what config allows.
 */
export class NetworkStack extends PushbuttonStack {
  constructor(scope: Construct, stackName: string, settings: Settings) {
    super(scope, stackName, settings.project);
    const network = required(settings, 'network', 'network.yaml');

    const vpc = new Vpc(this, 'vpc', {
      cidrBlock: network.vpcCidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: this.nameTag('vpc'),
    });
    const subnet = new Subnet(this, 'subnet', {
      vpcId: vpc.id,
      cidrBlock: network.subnet.cidr,
      availabilityZone: network.subnet.availabilityZone,
      // Workers need outbound internet; a public address avoids a NAT gateway's cost.
      mapPublicIpOnLaunch: true,
      tags: this.nameTag('subnet'),
    });
    const gateway = new InternetGateway(this, 'internet_gateway', { vpcId: vpc.id, tags: this.nameTag('igw') });
    const routeTable = new RouteTable(this, 'route_table', { vpcId: vpc.id, tags: this.nameTag('routes') });
    new Route(this, 'default_route', {
      routeTableId: routeTable.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: gateway.id,
    });
    new RouteTableAssociation(this, 'subnet_routes', { subnetId: subnet.id, routeTableId: routeTable.id });

    const securityGroup = new SecurityGroup(this, 'security_group', {
      name: this.resourceName('workers'),
      description: 'Pushbutton workers: all egress, ingress only as configured',
      vpcId: vpc.id,
      tags: this.nameTag('workers'),
    });
    new VpcSecurityGroupEgressRule(this, 'egress_all', {
      securityGroupId: securityGroup.id,
      description: 'All outbound traffic',
      ipProtocol: '-1',
      cidrIpv4: '0.0.0.0/0',
      tags: this.nameTag('egress-all'),
    });
    for (const [ruleName, rule] of Object.entries(network.ingress)) {
      new VpcSecurityGroupIngressRule(this, `ingress_${ruleName}`, {
        securityGroupId: securityGroup.id,
        description: rule.description,
        ipProtocol: rule.protocol,
        fromPort: rule.fromPort,
        toPort: rule.toPort,
        cidrIpv4: rule.cidr,
        tags: this.nameTag(`ingress-${ruleName}`),
      });
    }

    new TerraformOutput(this, 'vpc_id', { value: vpc.id, description: 'The VPC' });
    new TerraformOutput(this, 'subnet_id', { value: subnet.id, description: 'The subnet workers run in' });
    new TerraformOutput(this, 'security_group_id', {
      value: securityGroup.id,
      description: 'The security group workers run with',
    });
  }
}

/** The network stack unit. */
export default (scope: Construct, name: string, settings: Settings) => new NetworkStack(scope, name, settings);
