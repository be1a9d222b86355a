// logs: one case's log. A running attempt's comes live from CloudWatch Logs (a Batch job's stream,
// or the stream an EC2 worker's CloudWatch agent ships to); an attempt that ended has its log with
// its results in S3, which is read instead. --follow tails a running attempt until it ends.
import type { CloudWatchLogsClient, OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { caseLogGroup } from '@pushbutton/stacks/src/workflow/metrics';
import type { Command, CommandOptions, EffectContext } from '../kinds';
import { batchClient, batchSdk } from './batch-engine';
import { expandCases, WorkflowCase, workflowSettings } from './cases';
import { engineName, readLedger } from './engine';
import { engineOf } from './engines';
import { CaseAttempt, isLive } from './ledger';
import { s3Sdk } from '../s3-client';
import { MAX_ATTEMPTS, s3Client, workflowFacts } from './results';

/** How often --follow looks for new lines; tests set it to 0. */
export const followPoll = { ms: 5_000 };

const logsSdk = () => import('@aws-sdk/client-cloudwatch-logs');
const logsClient = async (region: string) => new (await logsSdk()).CloudWatchLogsClient({ region, maxAttempts: MAX_ATTEMPTS });

/** The one case --case names, by id or label; an error that says what there is otherwise. */
function namedCase(ctx: EffectContext, options: CommandOptions): WorkflowCase {
  const names = [options.case].flat().filter((name): name is string => typeof name === 'string' && name !== '');
  if (names.length !== 1) throw new Error('Say which case: --case <id or label>, as npx nx run infra:status shows them (one case).');
  const found = expandCases(workflowSettings(ctx.settings)).find((c) => c.id === names[0] || c.label === names[0]);
  if (!found) throw new Error(`No case ${JSON.stringify(names[0])} in config/workflows.yaml: give a case id (c-…) or label, as npx nx run infra:status shows them.`);
  return found;
}

/** The CloudWatch Logs stream of a running attempt: its Batch job's (the job's newest try), or the EC2 agent's. */
async function liveStream(ctx: EffectContext, workflowCase: WorkflowCase, attempt: CaseAttempt): Promise<string | undefined> {
  if (engineName(ctx) === 'ec2') return `${workflowCase.id}/attempt-${attempt.attempt}/run-case`;
  const { DescribeJobsCommand } = await batchSdk();
  const { jobs } = await (await batchClient(ctx.region)).send(new DescribeJobsCommand({ jobs: [attempt.worker!.id] }));
  const job = jobs?.[0];
  return job?.attempts?.at(-1)?.container?.logStreamName ?? job?.container?.logStreamName;
}

/** The events of a stream from `token` on, and the token to go on from (the same one at the end of the stream). */
async function eventsFrom(client: CloudWatchLogsClient, group: string, stream: string, token?: string): Promise<{ events: OutputLogEvent[]; token?: string }> {
  const { GetLogEventsCommand } = await logsSdk();
  const events: OutputLogEvent[] = [];
  for (let next = token; ; ) {
    const page = await client.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, ...(next && { nextToken: next }) }));
    events.push(...(page.events ?? []));
    if (!page.nextForwardToken || page.nextForwardToken === next) return { events, token: next };
    next = page.nextForwardToken;
  }
}

/** An ended attempt's log, as the runner uploaded it with its results. */
async function resultsLog(ctx: EffectContext, attempt: CaseAttempt): Promise<string> {
  const facts = workflowFacts(ctx);
  const key = `${attempt.results.slice(`s3://${facts.bucket_name}/`.length)}logs/run-case.log`;
  const { GetObjectCommand, NoSuchKey } = await s3Sdk();
  try {
    const { Body } = await (await s3Client(ctx.region)).send(new GetObjectCommand({ Bucket: facts.bucket_name, Key: key }));
    return (await Body?.transformToString()) ?? '';
  } catch (error) {
    if (error instanceof NoSuchKey) return `(attempt ${attempt.attempt} ended without uploading its log to ${attempt.results}logs/run-case.log)`;
    throw error;
  }
}

async function attemptOf(ctx: EffectContext, workflowCase: WorkflowCase, options: CommandOptions): Promise<CaseAttempt> {
  const ledger = await readLedger(ctx, engineOf(engineName(ctx)));
  const record = ledger.records.find((r) => r.workflowCase.id === workflowCase.id)!;
  const wanted = options.attempt === undefined ? record.attempts.at(-1) : record.attempts.find((a) => a.attempt === Number(options.attempt));
  if (!wanted) {
    const known = record.attempts.map((a) => a.attempt).join(', ');
    throw new Error(
      record.attempts.length
        ? `Case ${workflowCase.id} has no attempt ${String(options.attempt)}; its attempts: ${known}.`
        : `Case ${workflowCase.id} (${workflowCase.label}) has not started yet: npx nx run infra:provision starts it.`,
    );
  }
  return wanted;
}

/** Whether the attempt still runs, as the engine and the bucket now show it. */
async function stillRunning(ctx: EffectContext, workflowCase: WorkflowCase, attempt: number): Promise<CaseAttempt | undefined> {
  const ledger = await readLedger(ctx, engineOf(engineName(ctx)));
  const now = ledger.records.find((r) => r.workflowCase.id === workflowCase.id)!.attempts.find((a) => a.attempt === attempt)!;
  return ['queued', 'running'].includes(now.state) ? undefined : now;
}

async function run(ctx: EffectContext, options: CommandOptions): Promise<string> {
  const workflowCase = namedCase(ctx, options);
  const attempt = await attemptOf(ctx, workflowCase, options);
  const heading = `Case ${workflowCase.id} (${workflowCase.label}), attempt ${attempt.attempt}, ${attempt.state}`;
  if (!isLive({ workflowCase, attempts: [attempt] })) return `${heading}; its log from ${attempt.results}logs/run-case.log:\n${await resultsLog(ctx, attempt)}`;

  const group = workflowFacts(ctx).log_group_name ?? caseLogGroup(ctx.settings.project.name);
  const stream = await liveStream(ctx, workflowCase, attempt);
  if (!stream) return `${heading}; it has no log yet (a job logs once it runs): try again shortly.`;
  const client = await logsClient(ctx.region);
  const line = (event: OutputLogEvent) => event.message ?? '';
  let { events, token } = await eventsFrom(client, group, stream);
  if (!options.follow) return [`${heading}; live from CloudWatch Logs ${group} ${stream}:`, ...events.map(line)].join('\n');

  ctx.print(`${heading}; following CloudWatch Logs ${group} ${stream} until it ends (Ctrl-C stops):`);
  for (;;) {
    for (const event of events) ctx.print(line(event));
    const ended = await stillRunning(ctx, workflowCase, attempt.attempt);
    if (ended) {
      ({ events } = await eventsFrom(client, group, stream, token));
      for (const event of events) ctx.print(line(event));
      return `Attempt ${attempt.attempt} of case ${workflowCase.id} ended: ${ended.state}.`;
    }
    await new Promise((resolve) => setTimeout(resolve, followPoll.ms));
    ({ events, token } = await eventsFrom(client, group, stream, token));
  }
}

const logs: Command = {
  options: ['case', 'attempt', 'follow'],
  run,
  rehearse(ctx, options) {
    const workflowCase = namedCase(ctx, options);
    const stream = engineName(ctx) === 'ec2' ? `${workflowCase.id}/attempt-<n>/run-case` : "its Batch job's stream";
    return (
      `Rehearsal: case ${workflowCase.id} (${workflowCase.label}) has no log. A live run prints its newest attempt's log: ` +
      `while it runs from CloudWatch Logs ${caseLogGroup(ctx.settings.project.name)}, ${stream}${options.follow ? ', following it until it ends' : ''}; ` +
      'once it ended from its results in S3.'
    );
  },
};

export default logs;
