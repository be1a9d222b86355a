export interface WorkflowGeneratorSchema {
  name: string;
  command: string;
  /** An absolute path. */
  workdir: string;
  /** Default m5.xlarge. */
  instanceType?: string;
  /** Default 240. */
  timeoutMinutes?: number;
  description?: string;
}
