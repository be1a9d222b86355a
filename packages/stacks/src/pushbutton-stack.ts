import { Aspects, IAspect, LocalBackend, S3Backend, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ACCOUNT_ID_VARIABLE, projectTags, ProjectSettings, StateSettings } from './settings';

type Taggable = IConstruct & { tags?: Record<string, string>; tagsInput?: Record<string, string> };

function isTaggable(node: IConstruct): node is Taggable {
  return 'tags' in node && 'tagsInput' in node;
}

/** Adds the project tags to every resource that takes tags; a resource's own tags win. */
class TagEverything implements IAspect {
  constructor(private readonly tags: Record<string, string>) {}
  visit(node: IConstruct): void {
    if (isTaggable(node)) node.tags = { ...this.tags, ...(node.tagsInput ?? {}) };
  }
}

function configureBackend(stack: TerraformStack, stackName: string, state: StateSettings): void {
  if (state.backend === 'local') {
    // Relative, so the synthesized Terraform is the same in every clone.
    new LocalBackend(stack, { path: 'terraform.tfstate' });
    return;
  }
  const backend = new S3Backend(stack, {
    bucket: state.bucket,
    key: `${state.keyPrefix}/${stackName}.tfstate`,
    region: state.region,
    encrypt: true,
  });
  // cdktf 0.21 predates `use_lockfile`; Terraform >= 1.10 understands it.
  if (state.useLockfile) backend.addOverride('use_lockfile', true);
}

/** A trust policy letting an AWS service assume a role, under a condition if given. */
export function trustPolicy(service: string, condition?: Record<string, Record<string, string>>): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', ...(condition && { Condition: condition }) },
    ],
  });
}

/** Base of every Pushbutton stack: the AWS provider, the state backend, and tags on everything. */
export class PushbuttonStack extends TerraformStack {
  private accountIdVariable?: TerraformVariable;

  constructor(scope: Construct, readonly stackName: string, readonly project: ProjectSettings) {
    super(scope, stackName);
    new AwsProvider(this, 'aws', { region: project.region });
    configureBackend(this, stackName, project.state);
    Aspects.of(this).add(new TagEverything(projectTags(project)));
  }

  /** `<project>-<suffix>`, the name and `Name` tag of a resource. */
  resourceName(suffix: string): string {
    return `${this.project.name}-${suffix}`;
  }

  /**
   * The id of the account the stack is applied in: from STS (the apply's credentials check), so
   * the stack reads no data source and a rehearsal runs offline.
   */
  accountId(): string {
    this.accountIdVariable ??= new TerraformVariable(this, ACCOUNT_ID_VARIABLE, {
      type: 'string',
      description: 'The id of the AWS account the stack is applied in (from STS GetCallerIdentity)',
    });
    return this.accountIdVariable.stringValue;
  }

  /** The `Name` tag of a resource named resourceName(suffix). */
  nameTag(suffix: string): { Name: string } {
    return { Name: this.resourceName(suffix) };
  }
}
