import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from '../paths';

type TerraformJson = {
  terraform?: {
    backend?: Record<string, Record<string, unknown>>;
    required_providers?: Record<string, { source?: string; version?: string }>;
  };
  resource?: Record<string, Record<string, unknown>>;
  variable?: Record<string, unknown>;
  output?: Record<string, unknown>;
  provider?: Record<string, { region?: string }[]>;
  module?: Record<string, unknown>;
};

/** A stack's synthesized Terraform JSON, read back for what the executors need to know of it. */
export class SynthesizedStack {
  constructor(
    readonly name: string,
    readonly file: string,
    readonly json: TerraformJson,
  ) {}

  static read(workspaceRoot: string, stack: string): SynthesizedStack {
    const file = join(workspaceRoot, paths.synthesizedFile(stack));
    if (!existsSync(file)) {
      throw new Error(`${paths.synthesizedFile(stack)} does not exist: run \`nx run infra:${stack}-synth\` first.`);
    }
    return new SynthesizedStack(stack, file, JSON.parse(readFileSync(file, 'utf8')));
  }

  /** Providers with their full registry address (`registry.terraform.io/hashicorp/aws`) and exact version. */
  requiredProviders(): { name: string; address: string; version: string }[] {
    return Object.entries(this.json.terraform?.required_providers ?? {}).map(([name, { source, version }]) => {
      const parts = (source ?? name).split('/');
      const address = [
        parts.length === 3 ? parts[0] : 'registry.terraform.io',
        parts.length >= 2 ? parts[parts.length - 2] : 'hashicorp',
        parts[parts.length - 1],
      ].join('/');
      return { name, address, version: version ?? '' };
    });
  }

  backendType(): string {
    return Object.keys(this.json.terraform?.backend ?? { local: {} })[0];
  }

  usesS3Lockfile(): boolean {
    return this.json.terraform?.backend?.s3?.use_lockfile === true;
  }

  /** Resources marked `prevent_destroy`: a destroy keeps them (Terraform forgets them instead). */
  retainedAddresses(): string[] {
    return Object.entries(this.json.resource ?? {})
      .flatMap(([type, byName]) =>
        Object.entries(byName)
          .filter(([, body]) => (body as { lifecycle?: { prevent_destroy?: boolean } }).lifecycle?.prevent_destroy === true)
          .map(([name]) => `${type}.${name}`),
      )
      .sort();
  }

  /** Resource addresses (`aws_vpc.vpc`), sorted. */
  resourceAddresses(): string[] {
    return Object.entries(this.json.resource ?? {})
      .flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`))
      .sort();
  }

  variableNames(): string[] {
    return Object.keys(this.json.variable ?? {});
  }

  outputNames(): string[] {
    return Object.keys(this.json.output ?? {});
  }

  /** The region the AWS provider is configured for. */
  region(): string {
    return this.json.provider?.aws?.[0]?.region ?? '';
  }
}
