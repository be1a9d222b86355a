// The step registry is the one list: everything else is derived from it, and this checks that
// what it names is there, of the right kind, and that each effect's cache key names the SDK
// packages its code imports.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createNodes } from '../../src/index';
import type { EffectUnit, StepDefinition } from '../../src/steps/definition';
import { codeOf, loadModule, commandsCode, unitCode } from '../../src/steps/kinds';
import { registryProblems } from '../../src/steps/registry-check';
import { STEPS } from '../../src/steps/registry';

const SRC_STEPS = join(__dirname, '../../src/steps');

describe('the step registry', () => {
  it('is complete: every unit and command has its code, of its kind, and every name it refers to exists', () => {
    expect(registryProblems()).toEqual([]);
  });

  it('says what is missing when a unit has no code, or code of another kind', () => {
    const hiding = (hidden: string, instead: unknown) => (module: string) => (module.endsWith(hidden) ? { default: instead } : loadModule(module));
    expect(registryProblems(STEPS, hiding('/core-deploy', undefined))).toEqual([
      'unit core-deploy (effect): ./core/core-deploy does not export an effect with apply, rehearse and destroy as its default',
    ]);
    expect(registryProblems(STEPS, hiding('/workflow-render', { apply() {} }))).toEqual([
      'unit workflow-render (render): ./workflow/workflow-render does not export a render plan (settings, facts, rehearsal) => render items as its default',
    ]);
    expect(registryProblems(STEPS, hiding('src/network/network', undefined))).toEqual([
      'unit network (stack): @pushbutton/stacks/src/network/network does not export a stack builder (scope, name, settings) => TerraformStack as its default',
    ]);
  });

  it('says when an entry names a unit no step has, or when a step and a target share a name', () => {
    const core = STEPS.find((step) => step.name === 'core')!;
    const misspelt: StepDefinition = { ...core, units: core.units.map((u) => (u.name === 'core-deploy' ? { ...u, after: ['core-delivr'] } : u)) };
    const clashing: StepDefinition = { ...core, name: 'core-deploy' };
    expect(registryProblems([misspelt])).toContain('unit core-deploy: reads or runs after core-delivr, which no step has');
    expect(registryProblems([clashing]).at(-1)).toBe('target names given twice (steps, units and commands must not share them): core-deploy');
  });

  it('gives every executor the code of every unit of its kind, and nothing else', () => {
    for (const kind of ['stack', 'effect', 'render', 'deliver'] as const) {
      const units = STEPS.flatMap((step) => step.units.filter((unit) => unit.kind === kind).map((unit) => unit.name));
      expect(Object.keys(codeOf(kind)).sort(), kind).toEqual(units.sort());
    }
    expect(Object.keys(commandsCode()).sort()).toEqual(['core-status', 'logs', 'report', 'retry', 'status']);
  });

  it("gives a task its own unit's code, and refuses a unit of another kind or none", () => {
    expect(unitCode('effect', 'core-deploy')).toBe(codeOf('effect')['core-deploy']);
    expect(() => unitCode('effect', 'network')).toThrow('Unit network is of kind stack, not effect.');
    expect(() => unitCode('render', 'core-rendr')).toThrow('Unknown unit "core-rendr"; the units are network, core-account,');
  });
});

/**
 * The packages a module and the modules of this package it imports (not only for types) load:
 * `import ... from`, `import()` and `require()` of a package name, followed through relative imports.
 */
function packagesImportedBy(file: string, seen = new Set<string>()): Set<string> {
  const packages = new Set<string>();
  if (seen.has(file)) return packages;
  seen.add(file);
  const text = readFileSync(file, 'utf8').replace(/^import type [^;]*;/gms, '');
  const specifiers = [...text.matchAll(/(?:from\s+|import\(\s*|require\(\s*)'([^']+)'/g)].map((m) => m[1]);
  for (const specifier of specifiers) {
    if (specifier.startsWith('.')) {
      const base = resolve(dirname(file), specifier);
      const module = [`${base}.ts`, `${base}.js`, join(base, 'index.ts')].find((candidate) => {
        try {
          readFileSync(candidate);
          return true;
        } catch {
          return false;
        }
      });
      if (module) for (const name of packagesImportedBy(module, seen)) packages.add(name);
    } else if (!specifier.startsWith('node:')) {
      packages.add(specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
    }
  }
  return packages;
}

describe("each effect's cache key", () => {
  const effects = STEPS.flatMap((step) => step.units.filter((unit): unit is EffectUnit => unit.kind === 'effect').map((unit) => ({ step, unit })));
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'pushbutton-registry-'));
    require('node:fs').cpSync(join(__dirname, '../../../../config'), join(root, 'config'), { recursive: true });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(effects.map(({ step, unit }) => [unit.name, step, unit] as const))(
    'of %s names every AWS SDK package its code imports, and its target hashes them',
    async (_, step, unit) => {
      const imported = [...packagesImportedBy(join(SRC_STEPS, step.name, `${unit.name}.ts`))].filter((name) => name.startsWith('@aws-sdk/'));
      expect(imported.length).toBeGreaterThan(0);
      expect(unit.packages.sort()).toEqual(expect.arrayContaining(imported.sort()));
      const [, create] = createNodes;
      const [[, result]] = await create(['config/project.yaml'], {}, { workspaceRoot: root, nxJsonConfiguration: {} });
      const inputs = JSON.stringify(result.projects!.config.targets![unit.name].inputs);
      for (const name of imported) expect(inputs).toContain(`"${name}"`);
    },
  );

  it('would fail for a package the code imports and the definition leaves out', () => {
    const launch = effects.find(({ unit }) => unit.name === 'workflow-launch')!;
    const imported = [...packagesImportedBy(join(SRC_STEPS, 'workflow', 'workflow-launch.ts'))].filter((name) => name.startsWith('@aws-sdk/'));
    expect(imported.sort()).toEqual(['@aws-sdk/client-batch', '@aws-sdk/client-ec2', '@aws-sdk/client-s3']);
    const withoutS3 = launch.unit.packages.filter((name) => name !== '@aws-sdk/client-s3');
    expect(imported.every((name) => withoutS3.includes(name))).toBe(false);
  });
});
