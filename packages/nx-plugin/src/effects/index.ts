// The effects and reports of every step, by unit and report name (as in steps.js).
import { caseLedger } from './case-ledger';
import { coreStatus } from './core-status';
import type { Effect, Report } from './effect';
import { greengrassAccount } from './greengrass-account';
import { greengrassDeployments } from './greengrass-deployments';
import { workflowLaunch } from './workflow-launch';

export const EFFECTS: Record<string, Effect> = {
  'core-account-link': greengrassAccount,
  'core-deploy': greengrassDeployments,
  'workflow-launch': workflowLaunch,
};

export const REPORTS: Record<string, Report> = {
  'core-status': coreStatus,
  status: caseLedger,
};
