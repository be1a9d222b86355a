// The effects and reports of every step, by unit and report name (as in steps.js).
import { coreStatus } from './core-status';
import type { Effect, Report } from './effect';
import { greengrassAccount } from './greengrass-account';
import { greengrassDeployments } from './greengrass-deployments';

export const EFFECTS: Record<string, Effect> = {
  'core-account-link': greengrassAccount,
  'core-deploy': greengrassDeployments,
};

export const REPORTS: Record<string, Report> = {
  'core-status': coreStatus,
};
