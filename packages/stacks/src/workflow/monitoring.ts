// What a person sees of running cases, in the workflow step's stack: the log group every case
// logs to (on both engines), the alarms on failed and overdue cases with their SNS topic, and a
// CloudWatch dashboard of the runner's metrics and the workers' CPU, memory and disk.
import { TerraformOutput } from 'cdktf';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import type { PushbuttonStack } from '../pushbutton-stack';
import { CASE_STATES, CASES_METRIC, caseLogGroup, dashboardUrl, metricNamespace, NO_STUDY, OVERDUE_METRIC } from './metrics';
import type { WorkflowSettings } from './settings';

/**
 * The rows of the dashboard: every study of the config, and the single cases of every workflow (all
 * of them, so adding a single case changes no dashboard and re-applies no stack).
 */
function dashboardGroups(workflows: WorkflowSettings): { title: string; study: string; workflows: string[] }[] {
  return [
    ...Object.values(workflows.studies).map((s) => ({ title: `Study ${s.name}`, study: s.name, workflows: [s.workflow] })),
    { title: 'Single cases', study: NO_STUDY, workflows: Object.keys(workflows.workflows) },
  ];
}

function dashboardBody(stack: PushbuttonStack, workflows: WorkflowSettings): string {
  const region = stack.project.region;
  const namespace = metricNamespace(stack.project.name);
  const metricWidget = (title: string, metrics: unknown[], y: number, x = 0, width = 24, more = {}) => ({
    type: 'metric',
    x,
    y,
    width,
    height: 6,
    properties: { title, region, metrics, view: 'timeSeries', stat: 'Sum', period: 300, ...more },
  });
  const byState = (study: string, workflow: string) =>
    CASE_STATES.map((state) => [namespace, CASES_METRIC, 'Study', study, 'Workflow', workflow, 'State', state, { label: `${workflow} ${state}` }]);
  const studies = dashboardGroups(workflows).map((group, i) =>
    metricWidget(`${group.title}: cases by state (started, succeeded, failed, timed out per 5 minutes)`, group.workflows.flatMap((w) => byState(group.study, w)), 6 * (i + 1)),
  );
  const search = (metric: string) => ({ expression: `SEARCH('{${namespace},InstanceId} MetricName="${metric}"', 'Average', 300)`, label: metric });
  const y = 6 * (studies.length + 1);
  return JSON.stringify({
    widgets: [
      metricWidget(
        'Failed and timed-out cases',
        ['failed', 'timed-out', 'started'].map((state) => [namespace, CASES_METRIC, 'State', state, { label: state }]),
        0,
        0,
        12,
      ),
      metricWidget('Cases past their overdue share of the timeout', [[namespace, OVERDUE_METRIC, { label: 'overdue' }]], 0, 12, 12),
      ...studies,
      metricWidget('Workers: CPU (%)', [[search('cpu_usage_active')]], y, 0, 8, { stat: 'Average' }),
      metricWidget('Workers: memory (%)', [[search('mem_used_percent')]], y, 8, 8, { stat: 'Average' }),
      metricWidget('Workers: disk / (%)', [[search('disk_used_percent')]], y, 16, 8, { stat: 'Average' }),
    ],
  });
}

/** The log group, the alarms and their topic, and the dashboard; hands on where each is. */
export function addMonitoring(stack: PushbuttonStack, workflows: WorkflowSettings): { logGroup: CloudwatchLogGroup } {
  const { monitoring } = workflows;
  const project = stack.project.name;
  const logGroup = new CloudwatchLogGroup(stack, 'case_logs', { name: caseLogGroup(project), retentionInDays: monitoring.logRetentionDays });
  const topic = new SnsTopic(stack, 'alarms', { name: stack.resourceName('workflow-alarms') });
  if (monitoring.alarmEmail) new SnsTopicSubscription(stack, 'alarms_email', { topicArn: topic.arn, protocol: 'email', endpoint: monitoring.alarmEmail });

  const namespace = metricNamespace(project);
  const stateSum = (id: string, state: string) => ({
    id,
    metric: { namespace, metricName: CASES_METRIC, dimensions: { State: state }, period: 300, stat: 'Sum' },
  });
  new CloudwatchMetricAlarm(stack, 'cases_failed', {
    alarmName: stack.resourceName('cases-failed'),
    alarmDescription: 'A case failed or timed out: npx nx run infra:status shows which, infra:logs --case <id> why',
    metricQuery: [stateSum('failed', 'failed'), stateSum('timedout', 'timed-out'), { id: 'ended', expression: 'FILL(failed, 0) + FILL(timedout, 0)', returnData: true }],
    comparisonOperator: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    evaluationPeriods: 1,
    treatMissingData: 'notBreaching',
    alarmActions: [topic.arn],
  });
  new CloudwatchMetricAlarm(stack, 'cases_overdue', {
    alarmName: stack.resourceName('cases-overdue'),
    alarmDescription: `A running case passed ${Math.round(monitoring.overdueShare * 100)}% of its timeout`,
    namespace,
    metricName: OVERDUE_METRIC,
    statistic: 'Sum',
    period: 300,
    comparisonOperator: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    evaluationPeriods: 1,
    treatMissingData: 'notBreaching',
    alarmActions: [topic.arn],
  });
  const dashboard = new CloudwatchDashboard(stack, 'dashboard', { dashboardName: stack.resourceName('workflow'), dashboardBody: dashboardBody(stack, workflows) });

  new TerraformOutput(stack, 'log_group_name', { value: logGroup.name, description: "Where every case's log goes (CloudWatch Logs)" });
  new TerraformOutput(stack, 'metric_namespace', { value: namespace, description: "The namespace of the cases' and workers' metrics" });
  new TerraformOutput(stack, 'alarm_topic_arn', { value: topic.arn, description: 'The SNS topic the alarms on failed and overdue cases go to' });
  new TerraformOutput(stack, 'dashboard_url', {
    value: dashboardUrl(stack.project.region, dashboard.dashboardName),
    description: 'The CloudWatch dashboard of the cases and workers',
  });
  return { logGroup };
}
