// The workflow engines, by the name config's launch.engine gives.
import type { Engine } from '@pushbutton/stacks/src/workflow/settings';
import { batchEngine } from './batch-engine';
import { ec2Engine } from './ec2-engine';
import type { WorkflowEngine } from './engine';

const ENGINES: Record<Engine, WorkflowEngine> = { batch: batchEngine, ec2: ec2Engine };

export const engineOf = (name: Engine): WorkflowEngine => ENGINES[name];
