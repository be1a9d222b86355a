// Parsing every rendered YAML file back is a large part of a large render step's work (0.15 ms a
// case user-data): with many texts it runs on worker threads, while the main thread writes the files.
import { availableParallelism } from 'node:os';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { checkEach, once, TextProblems } from './memoized';
import { WORKER_FILE, yamlProblem } from './yaml-check-worker';

/** Below this many texts, starting workers (about 100 ms each) costs more than it saves. */
const MIN_TEXTS_FOR_WORKERS = 500;
const MAX_WORKERS = 4;
const TIMEOUT_MS = 10 * 60_000;

/** Starts checking the texts: on worker threads when there are many and more than one core. */
export function checkYamlInBackground(texts: string[]): TextProblems {
  const distinct = [...new Set(texts)];
  const threads = Math.min(availableParallelism(), MAX_WORKERS);
  if (distinct.length < MIN_TEXTS_FOR_WORKERS || threads < 2) return checkEach(yamlProblem)(distinct);
  const done = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const share = Math.ceil(distinct.length / threads);
  const jobs: { texts: string[]; port: MessagePort }[] = [];
  for (let start = 0; start < distinct.length; start += share) {
    const slice = distinct.slice(start, start + share);
    const { port1, port2 } = new MessageChannel();
    // No execArgv: the worker is plain JavaScript and needs no preloaded transpiler.
    new Worker(WORKER_FILE, { workerData: { yamlChecks: true, texts: slice, port: port2, done }, transferList: [port2], execArgv: [] }).unref();
    jobs.push({ texts: slice, port: port1 });
  }
  return once(() => {
    waitFor(done, jobs.length);
    const problems = new Map<string, string | undefined>();
    for (const job of jobs) {
      const result = receiveMessageOnPort(job.port)?.message as { problems?: (string | null)[]; failure?: string } | undefined;
      job.port.close();
      if (!result?.problems) throw new Error(`A YAML check worker failed: ${result?.failure ?? 'no result'}`);
      job.texts.forEach((text, i) => problems.set(text, result.problems![i] ?? undefined));
    }
    return problems;
  });
}

/** Blocks until `count` workers have finished (render steps are synchronous). */
function waitFor(done: Int32Array, count: number): void {
  const deadline = Date.now() + TIMEOUT_MS;
  for (let finished = Atomics.load(done, 0); finished < count; finished = Atomics.load(done, 0)) {
    if (Atomics.wait(done, 0, finished, deadline - Date.now()) === 'timed-out') {
      throw new Error(`YAML checks on worker threads did not finish within ${TIMEOUT_MS / 60_000} minutes`);
    }
  }
}
