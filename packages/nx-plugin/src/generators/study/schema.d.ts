export interface StudyGeneratorSchema {
  name: string;
  workflow: string;
  /** `dotted.parameter.path=v1,v2,v3`, one per path. */
  matrix: string[];
  /** `path=value&path=value`, one per excluded combination. */
  exclude?: string[];
}
