// Builds Pushbutton's packages as they would be published: JavaScript, no TypeScript left, so
// Nx loads executors and generators with plain `require` instead of registering a transpiler
// (about 0.5 s and 90 MB per task process; see docs/performance.md). In this repository Nx runs
// the TypeScript sources directly; this is for installing Pushbutton elsewhere.
//
//   node tools/build-packages.mjs [outDir]     (default dist/packages; one folder per package)
//   npm pack dist/packages/nx-plugin           then a tarball to install
//
// Each .ts file under src/ becomes a CommonJS .js file beside it, transpiled by swc (the
// transpiler Nx itself uses for them); type checking is `npm run typecheck`'s job. The config
// schemas' validators are compiled here, into schemas/validators.js, not in every task.
import { transformFileSync } from '@swc/core';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
/** What a package publishes; tests and installed dependencies stay behind. */
const SHIPPED = ['package.json', 'executors.json', 'generators.json', 'schemas', 'bin', 'src'];
const SWC = {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'commonjs' },
  sourceMaps: false,
  swcrc: false,
};

const filesUnder = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));

const VALIDATED_SCHEMAS = 'src/config/schema-validation.ts';
/** Prints the validators of the package's config schemas (project's, and each step's) as one module, from the TypeScript source. */
const PRINT_VALIDATORS = `
const { STEPS } = require('./src/steps/registry');
const schemas = ['./schemas/project.schema.json', ...STEPS.map((step) => './src/steps/' + step.name + '/schema.json')].map((file) => require(file));
process.stdout.write(require('./${VALIDATED_SCHEMAS}').standaloneValidators(schemas));
`;

/** Writes schemas/validators.js, which the package's schema-validation loads in place of compiling. */
function writeValidators(source, out) {
  const code = execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', PRINT_VALIDATORS], {
    cwd: source,
    env: { ...process.env, SWC_NODE_PROJECT: join(REPO, 'tsconfig.base.json') },
    encoding: 'utf8',
  });
  writeFileSync(join(out, 'schemas/validators.js'), code);
}

/** Points `./src/x/y.ts` entries of a manifest at the built `.js`. */
function retarget(file, edit) {
  if (!existsSync(file)) return;
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  edit(manifest, (path) => path.replace(/\.ts$/, '.js'));
  writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
}

/** Builds one package folder into `out`; returns the package's name. */
function buildPackage(source, out) {
  rmSync(out, { recursive: true, force: true });
  for (const entry of SHIPPED) {
    if (existsSync(join(source, entry))) cpSync(join(source, entry), join(out, entry), { recursive: true });
  }
  // A generator's files/ folder holds templates it writes, not code to build.
  const code = filesUnder(join(out, 'src')).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !/[/\\]files[/\\]/.test(file));
  for (const file of code) {
    writeFileSync(file.replace(/\.ts$/, '.js'), transformFileSync(file, SWC).code);
    rmSync(file);
  }
  if (existsSync(join(source, VALIDATED_SCHEMAS))) writeValidators(source, out);
  retarget(join(out, 'package.json'), (pkg, js) => {
    if (pkg.main) pkg.main = js(pkg.main);
  });
  retarget(join(out, 'executors.json'), ({ executors }, js) => {
    for (const executor of Object.values(executors)) executor.implementation = js(executor.implementation);
  });
  retarget(join(out, 'generators.json'), ({ generators }, js) => {
    for (const generator of Object.values(generators)) generator.factory = js(generator.factory);
  });
  return JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')).name;
}

/** Builds every package of `root`'s packages/ into `outDir/<folder>`; returns { name: folder }. */
export function buildPackages(root, outDir) {
  const built = {};
  for (const dir of readdirSync(join(root, 'packages'))) {
    const out = join(outDir, dir);
    built[buildPackage(join(root, 'packages', dir), out)] = out;
  }
  // What the init generator copies into a workspace: this repository's config and templates.
  for (const starter of ['config', 'templates']) {
    cpSync(join(root, starter), join(built['@pushbutton/nx-plugin'], 'starters', starter), { recursive: true });
  }
  return built;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = resolve(process.argv[2] ?? join(REPO, 'dist/packages'));
  for (const [name, out] of Object.entries(buildPackages(REPO, outDir))) console.log(`${name}: ${relative(process.cwd(), out) || '.'}`);
}
