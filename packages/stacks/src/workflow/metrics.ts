// The names and shapes the workflow step's monitoring shares between the stack (alarms, dashboard,
// policies) and the plugin (the runner's metrics, the agent's config, the logs command). No cdktf
// here: the plugin's tasks import it.

/** The custom metrics of a project's cases: `Pushbutton/<project>`. */
export const metricNamespace = (project: string) => `Pushbutton/${project}`;
/** The log group every case of a project logs to, on both engines. */
export const caseLogGroup = (project: string) => `/pushbutton/${project}/workflow`;

/** The metric the runner publishes at each transition of a case: dimensions Study, Workflow and State, and State alone. */
export const CASES_METRIC = 'Cases';
/** Published once when a running case passes monitoring.overdueShare of its timeout. */
export const OVERDUE_METRIC = 'Overdue';
/** The Study dimension of a single case (a dimension's value may not be empty). */
export const NO_STUDY = 'none';
/** The runner's states, as the State dimension says them. */
export const CASE_STATES = ['started', 'succeeded', 'failed', 'timed-out'];

/** Where a dashboard opens in the CloudWatch console. */
export const dashboardUrl = (region: string, name: string) =>
  `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${name}`;

/**
 * The CloudWatch agent's metrics of a worker (an EC2 worker, or a Batch host), by instance:
 * metric names are the plugin and measurement (`cpu_usage_active`), in the project's namespace.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html
 */
export function agentMetrics(project: string) {
  return {
    namespace: metricNamespace(project),
    append_dimensions: { InstanceId: '${aws:InstanceId}' },
    metrics_collected: {
      cpu: { measurement: ['usage_active'], totalcpu: true, metrics_collection_interval: 60 },
      mem: { measurement: ['used_percent'], metrics_collection_interval: 60 },
      disk: { measurement: ['used_percent'], resources: ['/'], metrics_collection_interval: 60 },
    },
  };
}

/** What a role needs to publish the project's metrics (the runner's, and the agent's): its namespace only. */
export function putMetricsStatement(project: string) {
  return {
    Effect: 'Allow',
    Action: ['cloudwatch:PutMetricData'],
    Resource: '*',
    // PutMetricData takes no resource; its namespace is the condition key AWS documents for it.
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
    Condition: { StringEquals: { 'cloudwatch:namespace': metricNamespace(project) } },
  };
}

