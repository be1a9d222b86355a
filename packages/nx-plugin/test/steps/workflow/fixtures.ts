// Settings the workflow step's tests share: the launch section and what a workflow needs beyond its
// command, as config's defaults give them.
import type { Settings } from '@pushbutton/stacks';
import type { BatchSettings, MonitoringSettings, WorkflowDefinition, WorkflowSettings } from '@pushbutton/stacks/src/workflow/settings';
import type { EffectContext } from '../../../src/steps/kinds';

export const BATCH_DEFAULTS: BatchSettings = { capacity: 'on-demand', maxVcpus: 256, image: 'public.ecr.aws/ubuntu/ubuntu:22.04' };
export const MONITORING_DEFAULTS: MonitoringSettings = { logRetentionDays: 30, overdueShare: 0.8 };

/** The launch section: engine ec2 unless said. */
export const launchSettings = (more: Partial<WorkflowSettings['launch']> = {}): WorkflowSettings['launch'] => ({
  engine: 'ec2',
  maxConcurrent: 10,
  imageId: 'ami-0123456789abcdef0',
  rootVolumeGiB: 50,
  batch: BATCH_DEFAULTS,
  ...more,
});

/** What one case of a workflow needs, as a job would ask Batch for it. */
export const CASE_RESOURCES = { vcpus: 8, memoryMiB: 30000, privileged: false };

/** A small workflow (`run-<name>` in /opt/work, keeping data/), with what a test changes. */
export const workflowDefinition = (name: string, more: Partial<WorkflowDefinition> = {}): WorkflowDefinition => ({
  name,
  description: name,
  instanceType: 'm5.2xlarge',
  ...CASE_RESOURCES,
  timeoutMinutes: 60,
  packages: [],
  setup: [],
  workdir: '/opt/work',
  command: `run-${name}`,
  config: {},
  parameters: { qual: 2 },
  inputs: [],
  outputs: ['data'],
  ...more,
});

/** The workflow step's effect context for project `lab` in eu-central-1, with the workflow stack's facts given. */
export function workflowContext(options: {
  workflows: WorkflowSettings;
  facts: Record<string, unknown>;
  workspaceRoot: string;
  mode?: EffectContext['mode'];
  print?: (line: string) => void;
  tags?: Record<string, string>;
}): EffectContext {
  const region = 'eu-central-1';
  const settings: Settings = { project: { name: 'lab', region, tags: options.tags ?? {}, state: { backend: 'local' } }, workflows: options.workflows };
  return {
    settings,
    region,
    mode: options.mode ?? 'live',
    workspaceRoot: options.workspaceRoot,
    print: options.print ?? (() => {}),
    facts: { workflow: options.facts },
  };
}
