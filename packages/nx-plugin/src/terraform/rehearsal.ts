// A rehearsal applies the stack against Terraform's own mock provider (`terraform test`),
// so it needs no AWS account and no network.
import { createHash } from 'node:crypto';
import type { SynthesizedStack } from './synthesized-stack';
import type { TerraformMessage } from './terraform-cli';

export const REHEARSAL_TEST_FILE = 'tests/rehearse.tftest.json';
export const REHEARSAL_OVERRIDE_FILE = 'rehearsal_override.tf.json';
/** The state stays in the rehearsal folder (`terraform test` keeps its own in memory). */
const REHEARSAL_BACKEND = { local: { path: 'rehearsal-plan.tfstate' } };

/**
 * Lets `terraform plan` run offline: the state stays in the rehearsal folder, and the
 * AWS provider is told not to call AWS while configuring (no data source is read).
 */
export function rehearsalOverride(stack: SynthesizedStack): object {
  const skips = {
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
    access_key: 'rehearsal-not-a-key',
    secret_key: 'rehearsal-not-a-key',
  };
  const awsProviders = stack.requiredProviders().filter((p) => p.address.endsWith('/hashicorp/aws'));
  // terraform test tears its mock resources down; what a live destroy keeps must not stop it.
  const resource: Record<string, Record<string, object>> = {};
  for (const address of stack.retainedAddresses()) {
    const [type, name] = address.split('.');
    (resource[type] ??= {})[name] = { lifecycle: { prevent_destroy: false } };
  }
  return {
    terraform: { backend: REHEARSAL_BACKEND },
    provider: Object.fromEntries(awsProviders.map((p) => [p.name, [skips]])),
    ...(Object.keys(resource).length && { resource }),
  };
}

/**
 * All a shared rehearsal `init` needs of a stack: its providers and the rehearsal's backend.
 * Stacks with the same providers get the same configuration, so they can share one init.
 */
export function rehearsalInitConfig(stack: SynthesizedStack): object {
  return { terraform: { backend: REHEARSAL_BACKEND, required_providers: stack.json.terraform?.required_providers ?? {} } };
}

// EC2 ids look like `vpc-0123456789abcdef0`; mock ids do too, so they read like what they stand for.
const EC2_ID_PREFIX: Record<string, string> = {
  aws_vpc: 'vpc',
  aws_subnet: 'subnet',
  aws_internet_gateway: 'igw',
  aws_route_table: 'rtb',
  aws_route_table_association: 'rtbassoc',
  aws_security_group: 'sg',
  aws_vpc_security_group_egress_rule: 'sgr',
  aws_vpc_security_group_ingress_rule: 'sgr',
  aws_launch_template: 'lt',
};

/** A deterministic stand-in for a resource's id: same address, same id, in every rehearsal. */
export function mockId(address: string): string {
  const hash = createHash('sha256').update(address).digest('hex');
  const type = address.split('.')[0];
  const prefix = EC2_ID_PREFIX[type];
  return prefix ? `${prefix}-${hash.slice(0, 17)}` : `rehearsal-${hash.slice(0, 12)}`;
}

/** The account a rehearsal stands in: its ARNs, and the stacks' account id variable. */
export const MOCK_ACCOUNT = '000000000000';

/**
 * Stand-ins for the ARNs and certificates the stack refers to (in its outputs, which hand them on,
 * and in its resources, where the provider checks an ARN's form), so facts are the same in every
 * rehearsal and the mock apply passes the provider's checks.
 */
function mockReferencedValues(stack: SynthesizedStack): Map<string, Record<string, string>> {
  const values = new Map<string, Record<string, string>>();
  const references = JSON.stringify({ resource: stack.json.resource ?? {}, output: stack.json.output ?? {} }).matchAll(/\b(aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)\.(arn|certificate_pem)\b/g);
  for (const [, address, attribute] of references) {
    const [type, name] = address.split('.');
    const value =
      attribute === 'arn'
        ? `arn:aws:${type.split('_')[1]}:${stack.region()}:${MOCK_ACCOUNT}:rehearsal/${name}`
        : `-----BEGIN CERTIFICATE-----\n${Buffer.from(`Rehearsal certificate of ${address}`).toString('base64')}\n-----END CERTIFICATE-----\n`;
    values.set(address, { ...values.get(address), [attribute]: value });
  }
  return values;
}

/** The `terraform test` file: mock every provider, pin ids, apply once, and check every output is set. */
export function rehearsalTestFile(stack: SynthesizedStack, outputs: string[]): object {
  const handedOn = mockReferencedValues(stack);
  return {
    mock_provider: Object.fromEntries(stack.requiredProviders().map((p) => [p.name, {}])),
    override_resource: stack.resourceAddresses().map((address) => ({
      target: address,
      values: { id: mockId(address), ...handedOn.get(address) },
    })),
    run: {
      rehearse: {
        command: 'apply',
        assert: outputs.map((name) => ({
          condition: `\${output.${name} != null}`,
          error_message: `output ${name} has no value after apply`,
        })),
      },
    },
  };
}

export interface RehearsalResult {
  resources: string[];
  outputs: Record<string, unknown>;
  sensitiveOutputs: string[];
}

type TestState = {
  outputs?: Record<string, { value: unknown; sensitive: boolean }>;
  root_module?: { resources?: { address: string }[] };
};

/**
 * What the mock apply planned, as `terraform plan` would summarise it: a test run starts from an
 * empty state, so every resource in the state it reports was planned as a create.
 */
function printPlanned(state: TestState, print: (line: string) => void): void {
  const addresses = (state.root_module?.resources ?? []).map((r) => r.address).filter((a) => !a.startsWith('data.')).sort();
  for (const address of addresses) print(`  + ${address} will be created`);
  print(`Plan: ${addresses.length} to add, 0 to change, 0 to destroy.`);
}

/**
 * Follows `terraform test -json -verbose`: prints its progress lines and keeps the
 * applied state it reports (the mock resources and outputs).
 */
export function rehearsalCollector(print: (line: string) => void) {
  let state: TestState | undefined;
  return {
    onMessage(message: TerraformMessage) {
      if (message.type === 'test_state') {
        state = message.test_state as TestState;
        printPlanned(state, print);
        return;
      }
      if (message.type === 'version' || message.type === 'test_abstract') return;
      const detail = (message.diagnostic as { detail?: string } | undefined)?.detail;
      print(message['@message'] + (detail ? `\n  ${detail}` : ''));
    },
    result(): RehearsalResult {
      if (!state) throw new Error('terraform test reported no applied state; the rehearsal did not apply');
      const entries = Object.entries(state.outputs ?? {});
      return {
        resources: (state.root_module?.resources ?? []).map((r) => r.address).sort(),
        outputs: Object.fromEntries(entries.filter(([, o]) => !o.sensitive).map(([name, o]) => [name, o.value])),
        sensitiveOutputs: entries.filter(([, o]) => o.sensitive).map(([name]) => name),
      };
    },
  };
}
