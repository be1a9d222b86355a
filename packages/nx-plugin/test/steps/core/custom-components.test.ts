// Custom components in config: the folders customComponents names, their recipes checked against AWS's
// recipe reference before anything runs, each problem with its file, line and key.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { ConfigError } from '../../../src/config/config-error';
import { loadConfig } from '../../../src/config/load-config';
import { validateConfig } from '../../../src/generators/workspace-config';
import { recipeForBucket } from '../../../src/steps/core/custom-components';
import step from '../../../src/steps/core/step';

const WORKSPACE = join(__dirname, '../../../../..');
const NAME = 'com.pushbutton.HelloWorld';
const FOLDER = `components/${NAME}`;
const RECIPE = `${FOLDER}/recipe.yaml`;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pushbutton-components-'));
  cpSync(join(WORKSPACE, 'config'), join(root, 'config'), { recursive: true });
  cpSync(join(WORKSPACE, FOLDER), join(root, FOLDER), { recursive: true });
  // The shipped config has the example commented out: enabled as the README says.
  edit('config/core.yaml', `# customComponents:\n#   - ${NAME}`, `customComponents:\n  - ${NAME}`);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const read = (file: string) => readFileSync(join(root, file), 'utf8');
const write = (file: string, text: string) => writeFileSync(join(root, file), text);
function edit(file: string, from: string | RegExp, to: string) {
  const before = read(file);
  const after = before.replace(from, to);
  if (after === before) throw new Error(`test setup: ${String(from)} not found in ${file}`);
  write(file, after);
}

/** Every problem's line, as `nx run infra:validate` prints it. */
function problems(): string[] {
  try {
    loadConfig(root, 'config');
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n').slice(1).map((line) => line.trim());
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

/** The line of the recipe that has `text`, 1-based. */
const lineOf = (file: string, text: string) => read(file).split('\n').findIndex((line) => line.includes(text)) + 1;

describe('the shipped example component', () => {
  it('is commented out in config/core.yaml, so the starter config has no custom components', () => {
    expect(loadConfig(WORKSPACE, 'config').core?.customComponents).toEqual({});
    expect(readFileSync(join(WORKSPACE, 'config/core.yaml'), 'utf8')).toContain(`# customComponents:\n#   - ${NAME}`);
  });

  it('resolves, once enabled, to its recipe, version and artifacts', () => {
    expect(loadConfig(root, 'config').core?.customComponents).toEqual({
      [NAME]: { name: NAME, version: '1.0.0', recipeFile: RECIPE, artifacts: ['hello.sh'] },
    });
  });

  it("is what core-components' cache key names: every file under components/", () => {
    const unit = step.units.find((u) => u.name === 'core-components')!;
    expect(unit.inputs).toEqual(['{workspaceRoot}/components/**/*']);
  });

  it('is checked in a generator\'s tree as on disk', () => {
    const tree = createTreeWithEmptyWorkspace();
    for (const file of ['config/project.yaml', 'config/core.yaml', RECIPE, `${FOLDER}/artifacts/hello.sh`]) tree.write(file, read(file));
    expect(validateConfig(tree).core?.customComponents?.[NAME].artifacts).toEqual(['hello.sh']);
    tree.delete(`${FOLDER}/artifacts/hello.sh`);
    expect(() => validateConfig(tree)).toThrow(`${RECIPE}:20:14 Manifests.0.Artifacts.0.URI: expected a file in ${FOLDER}/artifacts/; found "hello.sh", which is not there`);
  });
});

describe('a recipe is checked before anything runs, and each problem named with its file, line and key', () => {
  it('a missing ComponentVersion', () => {
    edit(RECIPE, /^ComponentVersion: .*\n/m, '');
    // A missing key is reported where the recipe's keys are.
    expect(problems()).toEqual([
      `${RECIPE}:6:1 ComponentVersion: expected a semantic version major.minor.patch such as 1.0.0 (https://semver.org/), at most 64 characters; found nothing: the key is missing`,
    ]);
  });

  it('a version that is not major.minor.patch, and one YAML reads as a number', () => {
    edit(RECIPE, "ComponentVersion: '1.0.0'", "ComponentVersion: 'v1.0'");
    expect(problems()).toEqual([`${RECIPE}:8:19 ComponentVersion: expected a semantic version major.minor.patch such as 1.0.0 (https://semver.org/), at most 64 characters; found "v1.0"`]);
    edit(RECIPE, "ComponentVersion: 'v1.0'", 'ComponentVersion: 1.0');
    expect(problems()).toEqual([`${RECIPE}:8:19 ComponentVersion: expected a semantic version major.minor.patch such as 1.0.0 (https://semver.org/), at most 64 characters; found 1`]);
  });

  it('an artifact that is not in artifacts/', () => {
    rmSync(join(root, FOLDER, 'artifacts/hello.sh'));
    expect(problems()).toEqual([
      `${RECIPE}:${lineOf(RECIPE, 'URI: hello.sh')}:14 Manifests.0.Artifacts.0.URI: expected a file in ${FOLDER}/artifacts/; found "hello.sh", which is not there`,
    ]);
    rmSync(join(root, FOLDER, 'artifacts'), { recursive: true });
    expect(problems()[0]).toMatch(/found "hello.sh", which is not there \(there is no components\/com.pushbutton.HelloWorld\/artifacts\/\)$/);
  });

  it('a file in artifacts/ that no manifest names (dot files aside)', () => {
    write(`${FOLDER}/artifacts/model.bin`, 'weights');
    write(`${FOLDER}/artifacts/.gitkeep`, '');
    expect(problems()).toEqual([
      `${RECIPE}:14:1 Manifests: expected every file in ${FOLDER}/artifacts/ named by an artifact's URI (or moved out of ${FOLDER}/artifacts/); found "model.bin", which no manifest names`,
    ]);
  });

  it('a ComponentName other than the folder, a recipe format that is not 2020-01-25, and a misspelt key', () => {
    edit(RECIPE, `ComponentName: ${NAME}`, 'ComponentName: com.pushbutton.Hello');
    edit(RECIPE, "RecipeFormatVersion: '2020-01-25'", 'RecipeFormatVersion: 2021-01-25');
    edit(RECIPE, 'ComponentPublisher:', 'ComponentPublsher:');
    expect(problems()).toEqual([
      `${RECIPE}:10:1 ComponentPublsher: expected one of the recipe's keys RecipeFormatVersion, ComponentName, ComponentVersion, ComponentDescription, ComponentPublisher, ComponentConfiguration, ComponentDependencies, ComponentType, ComponentSource, Manifests, Lifecycle (did you mean "ComponentPublisher"?); found unknown key "ComponentPublsher"`,
      `${RECIPE}:6:22 RecipeFormatVersion: expected 2020-01-25, the recipe format version; found "2021-01-25"`,
      `${RECIPE}:7:16 ComponentName: expected "${NAME}", the name of its folder and in config/core.yaml; found "com.pushbutton.Hello"`,
    ]);
  });

  it('no manifests, and a manifest with neither a lifecycle nor artifacts', () => {
    const recipe = read(RECIPE);
    edit(RECIPE, /^Manifests:[\s\S]*$/m, 'Manifests: []\n');
    expect(problems()).toEqual([`${RECIPE}:14:12 Manifests: expected a list of manifests, each with a Lifecycle or Artifacts; found a list`]);
    write(RECIPE, recipe.replace(/^Manifests:[\s\S]*$/m, 'Manifests:\n  - Platform:\n      os: linux\n'));
    expect(problems()).toEqual([
      `${RECIPE}:15:5 Manifests.0: expected a Lifecycle or Artifacts (or a global Lifecycle beside Manifests); found neither`,
      `${RECIPE}:14:1 Manifests: expected every file in ${FOLDER}/artifacts/ named by an artifact's URI (or moved out of ${FOLDER}/artifacts/); found "hello.sh", which no manifest names`,
    ]);
  });

  it("an artifact elsewhere in S3, which the cores may not read, and a path instead of a file name", () => {
    edit(RECIPE, 'URI: hello.sh', 'URI: s3://lab-bucket/hello.sh\n      - URI: scripts/hello.sh');
    expect(problems()).toEqual([
      `${RECIPE}:20:14 Manifests.0.Artifacts.0.URI: expected a file name in ${FOLDER}/artifacts/ (Pushbutton uploads it to the component bucket, which the cores may read), or a docker: image URI; found "s3://lab-bucket/hello.sh"`,
      `${RECIPE}:21:14 Manifests.0.Artifacts.1.URI: expected a file name directly in ${FOLDER}/artifacts/: Greengrass keeps a manifest's artifacts in one folder, by file name; found "scripts/hello.sh"`,
      `${RECIPE}:14:1 Manifests: expected every file in ${FOLDER}/artifacts/ named by an artifact's URI (or moved out of ${FOLDER}/artifacts/); found "hello.sh", which no manifest names`,
    ]);
  });

  it('a YAML mistake in the recipe, where it is', () => {
    edit(RECIPE, 'ComponentPublisher: Pushbutton', 'ComponentPublisher: "Pushbutton');
    expect(problems()).toEqual([`${RECIPE}:10:21 (yaml): expected a closing " for the quote that opens here; found none before the end of the file`]);
  });

  it('a folder without a recipe, or with two, at the name in config/core.yaml', () => {
    rmSync(join(root, RECIPE));
    const at = `config/core.yaml:${lineOf('config/core.yaml', `  - ${NAME}`)}:5 customComponents.0`;
    expect(problems()).toEqual([`${at}: expected one recipe for ${NAME}: ${FOLDER}/recipe.yaml or recipe.json; found neither ${FOLDER}/recipe.yaml nor recipe.json`]);
    write(RECIPE, '{}');
    write(`${FOLDER}/recipe.json`, '{}');
    expect(problems()).toEqual([`${at}: expected one recipe for ${NAME}: ${FOLDER}/recipe.yaml or recipe.json; found both recipe.yaml and recipe.json`]);
  });

  it("a name of AWS's own components, or one also under components", () => {
    edit('config/core.yaml', `  - ${NAME}`, `  - ${NAME}\n  - aws.greengrass.Cli`);
    const at = `config/core.yaml:${lineOf('config/core.yaml', '  - aws.greengrass.Cli')}:5 customComponents.1`;
    expect(problems()).toEqual([
      `${at}: expected a name outside aws.greengrass., which AWS's public components use (a component of that name replaces AWS's); found "aws.greengrass.Cli"`,
      `${at}: expected a name not also under components (a component is deployed at one version); found "aws.greengrass.Cli"`,
      `${at}: expected one recipe for aws.greengrass.Cli: components/aws.greengrass.Cli/recipe.yaml or recipe.json; found neither components/aws.greengrass.Cli/recipe.yaml nor recipe.json`,
    ]);
  });

  it("a project name too long for the component bucket's name prefix (the AWS provider's limit)", () => {
    edit('config/project.yaml', 'name: pushbutton-demo', 'name: pushbutton-genomics-lab-ab');
    expect(problems()).toEqual([
      `config/project.yaml:5:7 name: expected a name of at most 25 characters with custom components: the component bucket's name prefix "<name>-components-" may be at most 37 characters (S3's 63, less the 26 Terraform appends); found "pushbutton-genomics-lab-ab" (26 characters)`,
    ]);
  });
});

describe('a JSON recipe', () => {
  const JSON_RECIPE = `${FOLDER}/recipe.json`;
  const recipe = {
    RecipeFormatVersion: '2020-01-25',
    ComponentName: NAME,
    ComponentVersion: '1.2.0',
    Manifests: [{ Lifecycle: { Run: 'sh {artifacts:path}/hello.sh' }, Artifacts: [{ URI: 'hello.sh' }, { URI: 'docker:alpine:3.20' }] }],
  };

  beforeEach(() => rmSync(join(root, RECIPE)));

  it('is read as YAML is (JSON is YAML), and a docker: artifact is left to Greengrass', () => {
    write(JSON_RECIPE, JSON.stringify(recipe, null, 2));
    expect(loadConfig(root, 'config').core?.customComponents?.[NAME]).toEqual({ name: NAME, version: '1.2.0', recipeFile: JSON_RECIPE, artifacts: ['hello.sh'] });
  });

  it('has its problems at their lines too', () => {
    write(JSON_RECIPE, JSON.stringify({ ...recipe, ComponentVersion: '1.2' }, null, 2));
    expect(problems()).toEqual([
      `${JSON_RECIPE}:4:23 ComponentVersion: expected a semantic version major.minor.patch such as 1.0.0 (https://semver.org/), at most 64 characters; found "1.2"`,
    ]);
  });
});

describe('the recipe as it is created', () => {
  it("has each artifact of the folder at its S3 URI in the component bucket, under the component's name and version, and nothing else changed", () => {
    const data = {
      RecipeFormatVersion: '2020-01-25',
      ComponentName: NAME,
      ComponentVersion: '1.0.0',
      Manifests: [{ Lifecycle: { Run: 'x' }, Artifacts: [{ Uri: 'hello.sh', Permission: { Execute: 'OWNER' } }, { URI: 'docker:alpine' }] }],
    };
    expect(recipeForBucket(data, 'lab-components-abc')).toEqual({
      ...data,
      Manifests: [{ Lifecycle: { Run: 'x' }, Artifacts: [{ Uri: `s3://lab-components-abc/${NAME}/1.0.0/hello.sh`, Permission: { Execute: 'OWNER' } }, { URI: 'docker:alpine' }] }],
    });
    expect(data.Manifests[0].Artifacts[0].Uri).toBe('hello.sh');
  });
});
