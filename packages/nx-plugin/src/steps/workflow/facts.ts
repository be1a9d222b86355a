// The facts the workflow step hands on, by unit: what its stack outputs and its launch returns.

/** The facts of the workflow stack. */
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
};

/** Counts and this run's launches only, so the facts stay small for any number of cases. */
export type WorkflowLaunchFacts = {
  cases: number;
  launched: string[];
  running: number;
  finished: number;
  waiting: number;
};
