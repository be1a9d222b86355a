// The workflow step's monitoring, as synthesized: the case log group, the alarms and their topic,
// and the dashboard (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
import { Testing } from 'cdktf';
import { buildStack, Settings } from '../../src';
import type { MonitoringSettings, WorkflowDefinition } from '../../src/workflow/settings';
import workflow from '../../src/workflow/workflow';

const definition = (name: string): WorkflowDefinition => ({
  name,
  description: name,
  instanceType: 'm5.xlarge',
  vcpus: 4,
  memoryMiB: 15000,
  privileged: false,
  timeoutMinutes: 100,
  packages: [],
  setup: [],
  workdir: '/opt/work',
  command: 'make',
  config: {},
  parameters: {},
  inputs: [],
  outputs: [],
});

const settings = (monitoring: Partial<MonitoringSettings> = {}): Settings => ({
  project: { name: 'lab', region: 'eu-west-1', tags: {}, state: { backend: 'local' } },
  workflows: {
    results: { prefix: 'results', keepOnDestroy: true },
    launch: { engine: 'ec2', maxConcurrent: 4, imageId: 'ami-0123456789abcdef0', rootVolumeGiB: 50, batch: { capacity: 'on-demand', maxVcpus: 16, image: 'ubuntu:22.04' } },
    monitoring: { logRetentionDays: 14, overdueShare: 0.75, ...monitoring },
    workflows: { trim: definition('trim'), assemble: definition('assemble') },
    cases: [{ workflow: 'assemble', parameters: {} }],
    studies: { sweep: { name: 'sweep', workflow: 'trim', parameters: {}, matrix: { qual: [1, 2] }, include: [], exclude: [] } },
  },
});

type Json = { resource: Record<string, Record<string, Record<string, any>>>; output: Record<string, { value: any }> };
const synth = (s: Settings = settings()): Json => JSON.parse(Testing.synth(buildStack(workflow, 'workflow', s).stack));

describe('the workflow step\'s monitoring', () => {
  const r = synth().resource;

  it('keeps every case\'s log in one log group, for the configured days', () => {
    expect(r.aws_cloudwatch_log_group.case_logs).toMatchObject({ name: '/pushbutton/lab/workflow', retention_in_days: 14 });
  });

  it('alarms on a failed or timed-out case, from the runner\'s Cases metric by State, to the alarm topic', () => {
    const alarm = r.aws_cloudwatch_metric_alarm.cases_failed;
    expect(alarm).toMatchObject({ alarm_name: 'lab-cases-failed', comparison_operator: 'GreaterThanOrEqualToThreshold', threshold: 1, evaluation_periods: 1, treat_missing_data: 'notBreaching' });
    expect(alarm.alarm_actions).toEqual(['${aws_sns_topic.alarms.arn}']);
    expect(alarm.metric_query).toEqual([
      { id: 'failed', metric: { namespace: 'Pushbutton/lab', metric_name: 'Cases', dimensions: { State: 'failed' }, period: 300, stat: 'Sum' } },
      { id: 'timedout', metric: { namespace: 'Pushbutton/lab', metric_name: 'Cases', dimensions: { State: 'timed-out' }, period: 300, stat: 'Sum' } },
      { id: 'ended', expression: 'FILL(failed, 0) + FILL(timedout, 0)', return_data: true },
    ]);
  });

  it('alarms on a case past its overdue share of the timeout', () => {
    expect(r.aws_cloudwatch_metric_alarm.cases_overdue).toMatchObject({
      namespace: 'Pushbutton/lab',
      metric_name: 'Overdue',
      statistic: 'Sum',
      threshold: 1,
      alarm_description: 'A running case passed 75% of its timeout',
      alarm_actions: ['${aws_sns_topic.alarms.arn}'],
    });
  });

  it('subscribes an e-mail address to the alarms only when config gives one', () => {
    expect(r.aws_sns_topic_subscription).toBeUndefined();
    const subscribed = synth(settings({ alarmEmail: 'lab@example.org' })).resource.aws_sns_topic_subscription.alarms_email;
    expect(subscribed).toEqual(expect.objectContaining({ topic_arn: '${aws_sns_topic.alarms.arn}', protocol: 'email', endpoint: 'lab@example.org' }));
  });

  describe('the dashboard', () => {
    const body = JSON.parse(r.aws_cloudwatch_dashboard.dashboard.dashboard_body);
    const titles = body.widgets.map((w: { properties: { title: string } }) => w.properties.title);

    it('shows failures, overdue cases, each study and the single cases by state over time, and the workers', () => {
      expect(r.aws_cloudwatch_dashboard.dashboard.dashboard_name).toBe('lab-workflow');
      expect(titles).toEqual([
        'Failed and timed-out cases',
        'Cases past their overdue share of the timeout',
        'Study sweep: cases by state (started, succeeded, failed, timed out per 5 minutes)',
        'Single cases: cases by state (started, succeeded, failed, timed out per 5 minutes)',
        'Workers: CPU (%)',
        'Workers: memory (%)',
        'Workers: disk / (%)',
      ]);
      for (const widget of body.widgets) {
        expect(widget).toMatchObject({ type: 'metric', height: 6, properties: { region: 'eu-west-1', period: 300 } });
        expect(widget.x + widget.width).toBeLessThanOrEqual(24);
      }
    });

    it("plots a study's cases by the dimensions the runner publishes", () => {
      const sweep = body.widgets[2].properties.metrics;
      expect(sweep).toEqual(['started', 'succeeded', 'failed', 'timed-out'].map((state) => ['Pushbutton/lab', 'Cases', 'Study', 'sweep', 'Workflow', 'trim', 'State', state, { label: `trim ${state}` }]));
      // Single cases of every workflow, so adding one changes no dashboard.
      const singles = body.widgets[3].properties.metrics.map((m: unknown[]) => m[5]);
      expect([...new Set(singles)]).toEqual(['trim', 'assemble']);
    });

    it("finds every worker's agent metrics by a search in the project's namespace", () => {
      expect(body.widgets[4].properties.metrics).toEqual([
        [{ expression: 'SEARCH(\'{Pushbutton/lab,InstanceId} MetricName="cpu_usage_active"\', \'Average\', 300)', label: 'cpu_usage_active' }],
      ]);
    });
  });

  it('hands on where the logs, metrics, alarms and dashboard are', () => {
    const { output } = synth();
    expect(output.log_group_name.value).toBe('${aws_cloudwatch_log_group.case_logs.name}');
    expect(output.metric_namespace.value).toBe('Pushbutton/lab');
    expect(output.alarm_topic_arn.value).toBe('${aws_sns_topic.alarms.arn}');
    expect(output.dashboard_url.value).toBe('https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/${aws_cloudwatch_dashboard.dashboard.dashboard_name}');
  });
});
