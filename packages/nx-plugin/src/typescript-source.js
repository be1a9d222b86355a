// @ts-check
// In Pushbutton's own repository the plugin runs from its TypeScript source. Nx compiles it only
// while it loads an executor, so a module required later (code a task loads only when it needs it)
// needs the transpiler Nx uses, registered here. A published package is JavaScript and never
// registers it.
const { join } = require('node:path');

/** What Nx compiles a local plugin's TypeScript with; a devDependency of Pushbutton's repository. */
const TRANSPILER = '@swc-node/register';
let registered = false;

/** Lets `require` load the repository's TypeScript from now on; false when it already could. */
function compileTypeScriptSource() {
  if (registered) return false;
  process.env.SWC_NODE_PROJECT ??= join(__dirname, '..', '..', '..', 'tsconfig.base.json');
  require(TRANSPILER);
  return (registered = true);
}

/**
 * `load(module)` for a module required when it is needed rather than when its caller loads: where
 * it is this repository's TypeScript source (`fromSource`) that nothing compiles now, the
 * transpiler is registered and the module required again.
 * @param {(module: string) => any} load the caller's `require` @param {string} module @param {boolean} fromSource
 */
function requireWhenNeeded(load, module, fromSource) {
  try {
    return load(module);
  } catch (error) {
    const notFound = /** @type {NodeJS.ErrnoException} */ (error).code === 'MODULE_NOT_FOUND';
    if (!notFound || !fromSource || !compileTypeScriptSource()) throw error;
    return load(module);
  }
}

module.exports = { requireWhenNeeded };
