// The effects and reports of every step, by unit and report name (as in steps.js). Each is loaded
// only by the task that runs it: with its AWS SDK clients, one takes 0.1–0.4 s to load.
import type { Effect, Report } from './effect';

export const EFFECTS: Record<string, () => Promise<Effect>> = {
  'core-account-link': async () => (await import('./greengrass-account')).greengrassAccount,
  'core-deploy': async () => (await import('./greengrass-deployments')).greengrassDeployments,
  'workflow-launch': async () => (await import('./workflow-launch')).workflowLaunch,
};

export const REPORTS: Record<string, () => Promise<Report>> = {
  'core-status': async () => (await import('./core-status')).coreStatus,
  status: async () => (await import('./case-ledger')).caseLedger,
};
