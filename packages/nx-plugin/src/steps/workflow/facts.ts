// The facts the workflow step hands on, by unit: what its stack outputs and its launch returns.
import type { Engine } from '@pushbutton/stacks/src/workflow/settings';

/** The facts of the workflow stack; the job_* ones with engine batch only. */
export type WorkflowFacts = {
  bucket_name: string;
  bucket_arn: string;
  results_prefix: string;
  launch_template_id: string;
  launch_template_name: string;
  worker_role_name: string;
  worker_role_arn: string;
  instance_profile_name: string;
  instance_profile_arn: string;
  /** The case log group (CloudWatch Logs), on both engines. */
  log_group_name?: string;
  metric_namespace?: string;
  alarm_topic_arn?: string;
  /** The CloudWatch dashboard of the cases and workers, in the console. */
  dashboard_url?: string;
  job_queue_arn?: string;
  /** Each workflow's job definition, an ARN with its revision. */
  job_definitions?: Record<string, string>;
  /** Where job manifests and packs go, at the bucket's root. */
  jobs_prefix?: string;
};

/** Counts and this run's launches only, so the facts stay small for any number of cases. */
export type WorkflowLaunchFacts = {
  engine: Engine;
  cases: number;
  /** The cases this run started (submitted, on Batch). */
  launched: string[];
  /** Cases with an attempt queued or running, this run's included. */
  running: number;
  finished: number;
  waiting: number;
};
