// The config a run's tasks read again: remembered with what it was made from, and made again when
// any of that changes (src/config/load-config.ts).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../src/config/config-error';
import { loadConfig } from '../src/config/load-config';
import { loadConfigFrom } from '../src/config/parse-config';
import { paths } from '../src/paths';

const WORKSPACE = join(__dirname, '../../..');
const COMPONENT = 'com.pushbutton.HelloWorld';
const RECIPE = `components/${COMPONENT}/recipe.yaml`;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pushbutton-config-memo-'));
  cpSync(join(WORKSPACE, 'config'), join(root, 'config'), { recursive: true });
  cpSync(join(WORKSPACE, 'components', COMPONENT), join(root, 'components', COMPONENT), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const memoFile = () => join(root, paths.configMemoFile('config'));
/** The memo's inode: a parse writes a new file in its place, a memo that is used stays as it was. */
const memoWritten = () => statSync(memoFile()).ino;
const read = (file: string) => readFileSync(join(root, file), 'utf8');
function edit(file: string, from: string, to: string) {
  const before = read(file);
  if (!before.includes(from)) throw new Error(`test setup: ${from} not found in ${file}`);
  writeFileSync(join(root, file), before.replace(from, to));
}
const load = () => loadConfig(root, 'config');
/** Settings as text, key order and undefined values included. */
const exactly = (settings: unknown) => JSON.stringify(settings, (_key, value: unknown) => (value === undefined ? '(undefined)' : value));

describe('the config a run reads again', () => {
  it('is remembered after the first read, and gives the settings a parse gives, to the last undefined value', () => {
    const first = load();
    const written = memoWritten();
    const again = load();
    expect(memoWritten(), 'the second read used the memo').toBe(written);
    const parsed = loadConfigFrom((path) => read(path), 'config', () => undefined);
    expect(exactly(again)).toBe(exactly(parsed));
    expect(exactly(again)).toBe(exactly(first));
    expect(Object.keys(again.workflows!.cases[0]), 'an undefined value stays a key').toContain('inputs');
  });

  it('follows an edit of a config file, and its undoing', () => {
    const before = load().network?.subnet.cidr;
    edit('config/network.yaml', 'cidr: 10.20.1.0/24', 'cidr: 10.20.2.0/24');
    expect(load().network?.subnet.cidr).toBe('10.20.2.0/24');
    edit('config/network.yaml', 'cidr: 10.20.2.0/24', 'cidr: 10.20.1.0/24');
    expect(load().network?.subnet.cidr).toBe(before);
  });

  it('rejects an edit that breaks the config with its file and line, though the good config was remembered', () => {
    load();
    edit('config/network.yaml', 'cidr: 10.20.1.0/24', 'cidr: 10.20.1.0/99');
    const line = read('config/network.yaml').split('\n').findIndex((text) => text.includes('10.20.1.0/99')) + 1;
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(`config/network.yaml:${line}`);
  });

  it('follows a step config file that appears or goes, and the files a config names (a component recipe)', () => {
    edit('config/core.yaml', `# customComponents:\n#   - ${COMPONENT}`, `customComponents:\n  - ${COMPONENT}`);
    expect(load().core?.customComponents?.[COMPONENT]?.version).toBe('1.0.0');
    edit(RECIPE, "ComponentVersion: '1.0.0'", "ComponentVersion: '1.0.1'");
    expect(load().core?.customComponents?.[COMPONENT]?.version).toBe('1.0.1');
    rmSync(join(root, 'config/core.yaml'));
    expect(load().core).toBeUndefined();
  });

  it('is made again when the memo is damaged', () => {
    const settings = load();
    writeFileSync(memoFile(), 'not a memo');
    expect(exactly(load())).toBe(exactly(settings));
    expect(readFileSync(memoFile(), 'utf8')).not.toBe('not a memo');
  });

  it('is not needed: where it cannot be written, the config is read as before', () => {
    mkdirSync(join(root, '.pushbutton'), { recursive: true });
    writeFileSync(join(root, '.pushbutton/config'), 'a file where the memo folder would be');
    expect(load().network?.subnet.cidr).toBe('10.20.1.0/24');
    edit('config/network.yaml', 'cidr: 10.20.1.0/24', 'cidr: 10.20.2.0/24');
    expect(load().network?.subnet.cidr).toBe('10.20.2.0/24');
  });

  it("is made again when Pushbutton's code changes", () => {
    load();
    const written = memoWritten();
    const code = join(__dirname, '../schemas/project.schema.json');
    const { atime, mtime } = statSync(code);
    try {
      utimesSync(code, atime, new Date(mtime.getTime() + 1000));
      load();
      expect(memoWritten()).not.toBe(written);
    } finally {
      utimesSync(code, atime, mtime);
    }
  });
});
