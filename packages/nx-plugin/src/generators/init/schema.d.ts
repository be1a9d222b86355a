export interface InitGeneratorSchema {
  /** The Nx project's name; default infra. */
  projectName?: string;
  /** The name in config/project.yaml; default derived from package.json's name. */
  name?: string;
  /** Default us-west-2. */
  region?: string;
  /** Names of steps in the plugin's registry; default every step. */
  steps?: string[];
  keepExistingVersions?: boolean;
}
