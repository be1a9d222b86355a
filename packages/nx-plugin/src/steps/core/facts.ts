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
