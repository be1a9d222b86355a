// The lab's own Greengrass components: each a folder of the workspace, components/<name>/, with its
// recipe (recipe.yaml or recipe.json) and its artifacts in artifacts/, named in config/core.yaml under
// customComponents. `validate` checks every recipe before anything runs, reporting each problem with its
// file, line and key; core-components reads the same folders to upload the artifacts and create the
// component versions. The recipe format is AWS's:
// https://docs.aws.amazon.com/greengrass/v2/developerguide/component-recipe-reference.html
import type { ProjectSettings } from '@pushbutton/stacks';
import { componentBucketPrefix, CustomComponent } from '@pushbutton/stacks/src/core/settings';
import type { ConfigIssue } from '../../config/config-error';
import { ConfigFile, describeValue, KeyPath } from '../../config/config-file';
import { likelyMeant } from '../../config/schema-validation';
import type { WorkspaceFiles } from '../../config/step-config';

/** Where custom components are, in the workspace root; step.js names the same folder as core-components' input. */
export const COMPONENTS_DIR = 'components';
export const RECIPE_FILES = ['recipe.yaml', 'recipe.json'];
export const componentDir = (name: string) => `${COMPONENTS_DIR}/${name}`;
export const artifactsDir = (name: string) => `${componentDir(name)}/artifacts`;

/** The one recipe format there is. */
export const RECIPE_FORMAT_VERSION = '2020-01-25';
/** The keys a recipe may have at its top level, as the recipe reference lists them. */
const RECIPE_KEYS = [
  'RecipeFormatVersion',
  'ComponentName',
  'ComponentVersion',
  'ComponentDescription',
  'ComponentPublisher',
  'ComponentConfiguration',
  'ComponentDependencies',
  'ComponentType',
  'ComponentSource',
  'Manifests',
  'Lifecycle',
];
/**
 * A semantic version, major.minor.patch with an optional pre-release (https://semver.org/), at most 64
 * characters (the API's ComponentVersionString). Build metadata is left out: it does not order versions,
 * so two versions that differ only there could not be told apart.
 */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const MAX_VERSION_LENGTH = 64;
/** An artifact URI with a scheme (`s3://…`, `docker:…`); without one, it names a file in artifacts/. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
/** Docker images come from their registry through Greengrass's Docker application manager, not from the bucket. */
const PASSED_THROUGH = /^docker:/i;
/** The AWS provider's limit on an aws_s3_bucket bucket_prefix: S3's 63 characters, less the 26 Terraform appends. */
const BUCKET_PREFIX_MAX = 37;

type Mapping = Record<string, unknown>;
const isMapping = (value: unknown): value is Mapping => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An artifact a manifest names: where it is in the recipe, its URI, and the file of artifacts/ it is, if it is one. */
export interface ArtifactRef {
  /** Of the artifact's URI, e.g. `Manifests.0.Artifacts.1.URI`. */
  path: KeyPath;
  uri: string;
  /** A file name in artifacts/; undefined for a URI Greengrass fetches by itself (docker:). */
  file?: string;
}

/** The artifacts every manifest names, with their URIs (as `URI`, or any other case of it). Skips what is not well formed. */
export function artifactRefs(recipe: Mapping): ArtifactRef[] {
  const manifests = Array.isArray(recipe.Manifests) ? recipe.Manifests : [];
  return manifests.flatMap((manifest, m) => {
    const artifacts = isMapping(manifest) && Array.isArray(manifest.Artifacts) ? manifest.Artifacts : [];
    return artifacts.flatMap((artifact, a) => {
      const key = isMapping(artifact) ? uriKeyOf(artifact) : undefined;
      const uri = key ? (artifact as Mapping)[key] : undefined;
      if (typeof uri !== 'string') return [];
      return [{ path: ['Manifests', m, 'Artifacts', a, key!], uri, file: SCHEME.test(uri) ? undefined : uri }];
    });
  });
}

const uriKeyOf = (artifact: Mapping) => Object.keys(artifact).find((key) => key.toLowerCase() === 'uri');

/** The S3 key of an artifact: the component's name and version in the path, as AWS recommends (upload-components.html). */
export const artifactKey = (name: string, version: string, file: string) => `${name}/${version}/${file}`;

/** The recipe as it is created: each artifact of the workspace at its S3 URI in the bucket; nothing else changes. */
export function recipeForBucket(recipe: Mapping, bucket: string): Mapping {
  const copy = structuredClone(recipe);
  const name = String(recipe.ComponentName);
  const version = String(recipe.ComponentVersion);
  for (const ref of artifactRefs(copy)) {
    if (!ref.file) continue;
    const artifact = ref.path.slice(0, -1).reduce<any>((node, segment) => node[segment], copy);
    artifact[ref.path.at(-1)!] = `s3://${bucket}/${artifactKey(name, version, ref.file)}`;
  }
  return copy;
}

/** The recipe file of a component folder, parsed; issues if there is none, two, or it is not YAML (JSON is YAML). */
export function readRecipe(workspace: WorkspaceFiles, name: string): { file?: ConfigFile; issues: ConfigIssue[]; missing?: string } {
  const found = RECIPE_FILES.map((recipe) => `${componentDir(name)}/${recipe}`)
    .map((path) => ({ path, text: workspace.read(path) }))
    .filter((recipe) => recipe.text !== undefined);
  if (found.length !== 1) {
    return { issues: [], missing: found.length ? 'both recipe.yaml and recipe.json' : `neither ${componentDir(name)}/recipe.yaml nor recipe.json` };
  }
  const { file, issues } = ConfigFile.fromText(found[0].path, found[0].text);
  return { file, issues };
}

/** Checks a parsed recipe of the component `name` against the recipe reference and its folder. */
function recipeIssues(file: ConfigFile, name: string, artifactFiles: string[] | undefined): ConfigIssue[] {
  const recipe = file.data;
  if (!isMapping(recipe)) {
    return [file.issue([], `a recipe: a mapping of ${RECIPE_KEYS.slice(0, 3).join(', ')}, Manifests and the other keys of the recipe reference`, describeValue(recipe))];
  }
  const issues: ConfigIssue[] = [];
  const missing = 'nothing: the key is missing';
  for (const key of Object.keys(recipe).filter((k) => !RECIPE_KEYS.includes(k))) {
    const guess = likelyMeant(key, RECIPE_KEYS);
    issues.push(file.issue([key], `one of the recipe's keys ${RECIPE_KEYS.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`, `unknown key "${key}"`, 'key'));
  }
  if (recipe.RecipeFormatVersion !== RECIPE_FORMAT_VERSION) {
    const found = 'RecipeFormatVersion' in recipe ? describeValue(recipe.RecipeFormatVersion) : missing;
    issues.push(file.issue(['RecipeFormatVersion'], `${RECIPE_FORMAT_VERSION}, the recipe format version`, found));
  }
  if (recipe.ComponentName !== name) {
    const found = 'ComponentName' in recipe ? describeValue(recipe.ComponentName) : missing;
    issues.push(file.issue(['ComponentName'], `"${name}", the name of its folder and in config/core.yaml`, found));
  }
  const version = recipe.ComponentVersion;
  if (typeof version !== 'string' || !SEMVER.test(version) || version.length > MAX_VERSION_LENGTH) {
    const found = 'ComponentVersion' in recipe ? describeValue(version) : missing;
    issues.push(file.issue(['ComponentVersion'], 'a semantic version major.minor.patch such as 1.0.0 (https://semver.org/), at most 64 characters', found));
  }
  issues.push(...manifestIssues(file, recipe, name, artifactFiles));
  return issues;
}

function manifestIssues(file: ConfigFile, recipe: Mapping, name: string, artifactFiles: string[] | undefined): ConfigIssue[] {
  const manifests = recipe.Manifests;
  if (!Array.isArray(manifests) || !manifests.length) {
    const found = 'Manifests' in recipe ? describeValue(manifests) : 'nothing: the key is missing';
    return [file.issue(['Manifests'], 'a list of manifests, each with a Lifecycle or Artifacts', found)];
  }
  const issues: ConfigIssue[] = [];
  const folder = `${artifactsDir(name)}/`;
  manifests.forEach((manifest, m) => {
    if (!isMapping(manifest)) {
      issues.push(file.issue(['Manifests', m], 'a manifest: a mapping with Platform, Lifecycle, Artifacts or Selections', describeValue(manifest)));
      return;
    }
    if (manifest.Lifecycle === undefined && manifest.Artifacts === undefined && recipe.Lifecycle === undefined) {
      issues.push(file.issue(['Manifests', m], 'a Lifecycle or Artifacts (or a global Lifecycle beside Manifests)', 'neither'));
    }
    if (manifest.Lifecycle !== undefined && !isMapping(manifest.Lifecycle)) {
      issues.push(file.issue(['Manifests', m, 'Lifecycle'], 'a mapping of lifecycle steps such as Install and Run', describeValue(manifest.Lifecycle)));
    }
    if (manifest.Artifacts === undefined) return;
    if (!Array.isArray(manifest.Artifacts)) {
      issues.push(file.issue(['Manifests', m, 'Artifacts'], 'a list of artifacts, each with a URI', describeValue(manifest.Artifacts)));
      return;
    }
    const named = new Map<string, number>();
    manifest.Artifacts.forEach((artifact, a) => {
      const at: KeyPath = ['Manifests', m, 'Artifacts', a];
      const key = isMapping(artifact) ? uriKeyOf(artifact) : undefined;
      const uri = key ? (artifact as Mapping)[key] : undefined;
      const expected = `a file name in ${folder} (Pushbutton uploads it to the component bucket, which the cores may read), or a docker: image URI`;
      if (typeof uri !== 'string') {
        issues.push(file.issue(key ? [...at, key] : at, `an artifact with a URI: ${expected}`, key ? describeValue(uri) : 'no URI'));
        return;
      }
      if (SCHEME.test(uri)) {
        if (!PASSED_THROUGH.test(uri)) issues.push(file.issue([...at, key!], expected, describeValue(uri)));
        return;
      }
      const fileName = uri;
      if (/[/\\]/.test(fileName) || fileName === '.' || fileName === '..') {
        issues.push(file.issue([...at, key!], `a file name directly in ${folder}: Greengrass keeps a manifest's artifacts in one folder, by file name`, describeValue(uri)));
      } else if (!artifactFiles?.includes(fileName)) {
        issues.push(file.issue([...at, key!], `a file in ${folder}`, `"${fileName}", which is not there${artifactFiles ? '' : ` (there is no ${folder})`}`));
      } else if (named.has(fileName)) {
        issues.push(file.issue([...at, key!], `a file name no other artifact of this manifest has (it is also artifact ${named.get(fileName)})`, describeValue(uri)));
      }
      if (!named.has(fileName)) named.set(fileName, a);
    });
  });
  const unnamed = unnamedArtifacts(recipe, artifactFiles);
  if (unnamed.length) {
    issues.push(
      file.issue(['Manifests'], `every file in ${folder} named by an artifact's URI (or moved out of ${folder})`, `${unnamed.map((f) => `"${f}"`).join(', ')}, which no manifest names`, 'key'),
    );
  }
  return issues;
}

/** Files of artifacts/ no manifest names; dot files (.gitkeep) aside. */
function unnamedArtifacts(recipe: Mapping, artifactFiles: string[] | undefined): string[] {
  const named = new Set(artifactRefs(recipe).flatMap((ref) => ref.file ?? []));
  return (artifactFiles ?? []).filter((f) => !f.startsWith('.') && !named.has(f));
}

/**
 * Reads and checks the custom components config/core.yaml names (its `customComponents`): each folder's
 * recipe and artifacts, and the names against the other components and the component bucket's limits.
 */
export function resolveCustomComponents(input: {
  file: ConfigFile;
  names: string[];
  components: Record<string, string>;
  workspace: WorkspaceFiles;
  project?: ProjectSettings;
  projectFile?: ConfigFile;
}): { components: Record<string, CustomComponent>; issues: ConfigIssue[] } {
  const { file, names, workspace } = input;
  const components: Record<string, CustomComponent> = {};
  const issues: ConfigIssue[] = [];
  names.forEach((name, index) => {
    const at: KeyPath = ['customComponents', index];
    if (name.startsWith('aws.greengrass.')) {
      issues.push(file.issue(at, "a name outside aws.greengrass., which AWS's public components use (a component of that name replaces AWS's)", JSON.stringify(name)));
    }
    if (name in input.components) {
      issues.push(file.issue(at, 'a name not also under components (a component is deployed at one version)', JSON.stringify(name)));
    }
    const recipe = readRecipe(workspace, name);
    if (!recipe.file) {
      issues.push(file.issue(at, `one recipe for ${name}: ${componentDir(name)}/recipe.yaml or recipe.json`, recipe.missing!));
      return;
    }
    if (recipe.issues.length) {
      issues.push(...recipe.issues);
      return;
    }
    const artifactFiles = workspace.list(artifactsDir(name));
    const problems = recipeIssues(recipe.file, name, artifactFiles);
    issues.push(...problems);
    if (problems.length) return;
    const data = recipe.file.data as Mapping;
    const artifacts = [...new Set(artifactRefs(data).flatMap((ref) => ref.file ?? []))].sort();
    components[name] = { name, version: String(data.ComponentVersion), recipeFile: recipe.file.path, artifacts };
  });
  const { project, projectFile } = input;
  if (names.length && project && projectFile && componentBucketPrefix(project.name).length > BUCKET_PREFIX_MAX) {
    const most = BUCKET_PREFIX_MAX - componentBucketPrefix('').length;
    issues.push(
      projectFile.issue(
        ['name'],
        `a name of at most ${most} characters with custom components: the component bucket's name prefix "${componentBucketPrefix('<name>')}" may be at most ${BUCKET_PREFIX_MAX} characters (S3's 63, less the 26 Terraform appends)`,
        `${JSON.stringify(project.name)} (${project.name.length} characters)`,
      ),
    );
  }
  return { components, issues };
}
