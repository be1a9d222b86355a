export type StepName = 'network' | 'core' | 'workflow';

export interface InitGeneratorSchema {
  /** The Nx project's name; default infra. */
  projectName?: string;
  /** The name in config/project.yaml; default derived from package.json's name. */
  name?: string;
  /** Default us-west-2. */
  region?: string;
  /** Default every step. */
  steps?: StepName[];
  keepExistingVersions?: boolean;
}
