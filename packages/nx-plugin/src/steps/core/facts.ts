// The facts the core install step hands on, by unit: what its stacks output and its effects return.
import type { CertifiedThing } from '@pushbutton/stacks/src/core/settings';

/** The facts of the core-account stack. */
export type CoreAccountFacts = {
  token_exchange_role_arn: string;
  role_alias_name: string;
  role_alias_arn: string;
  role_alias_policy_name: string;
  service_role_arn: string;
  service_role_name: string;
  /** Only with custom components: the bucket of their artifacts. */
  component_bucket_name?: string;
};

/** A custom component version, made by core-components now or before (the same recipe and artifacts). */
export type CustomComponentFact = {
  name: string;
  version: string;
  /** Its component version ARN: arn:<partition>:greengrass:<region>:<account>:components:<name>:versions:<version>. */
  arn: string;
  /** Of its recipe (with the artifacts' S3 URIs) and its artifacts' contents; also its `pushbutton:content` tag. */
  content_hash: string;
};

export type CoreComponentsFacts = {
  /** By component name; empty without custom components. */
  components: Record<string, CustomComponentFact>;
};

export type AccountLinkFacts = {
  iot_data_endpoint: string;
  iot_credential_endpoint: string;
  /** The service role now associated with the account: Pushbutton's, or another that was there first. */
  service_role_arn: string;
  service_role_associated_by_pushbutton: boolean;
};

/** What the core-devices stack tells of its devices. */
export type CoreDevicesFacts = {
  thing_group_name: string;
  thing_group_arn: string;
  client_thing_group_name: string;
  client_thing_group_arn: string;
  core_devices: Record<string, CertifiedThing>;
  client_devices: Record<string, CertifiedThing & { core_device: string }>;
};

export type CoreDeployment = {
  deployment_id: string;
  deployment_name: string;
  spec_hash: string;
  /** True when this run created it; false when the latest deployment already matched. */
  created: boolean;
};

export type CoreDeployFacts = {
  deployments: Record<string, CoreDeployment>;
  /** Per core device, the thing names of the client devices associated with it. */
  client_associations: Record<string, string[]>;
};
