// The template engine: strict names, escaping by output type, partials, checks before anything is replaced.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { parse as parseYaml } from 'yaml';
import { RenderItem, renderStep, TemplateError } from '../../src/render/render-step';
import { snapshot } from './checks';

// The real spawnSync, behind a spy that counts how often the engine runs bash -n.
jest.mock('node:child_process', () => {
  const actual = jest.requireActual<typeof import('node:child_process')>('node:child_process');
  return { ...actual, spawnSync: jest.fn(actual.spawnSync) };
});
const bashChecks = () => jest.mocked(spawnSync).mock.calls.filter(([command, args]) => command === 'bash' && args?.[0] === '-n').length;
// The real Worker, counting the threads the engine starts for YAML checks.
jest.mock('node:worker_threads', () => {
  const actual = jest.requireActual<typeof import('node:worker_threads')>('node:worker_threads');
  class CountedWorker extends actual.Worker {
    static started = 0;
    constructor(...args: ConstructorParameters<typeof actual.Worker>) {
      super(...args);
      CountedWorker.started++;
    }
  }
  return { ...actual, Worker: CountedWorker };
});
const workersStarted = () => (Worker as unknown as { started: number }).started;

const SHIPPED_TEMPLATES = join(__dirname, '../../../../templates/core');

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pushbutton-templates-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const outDir = () => join(root, '.pushbutton', 'render', 'core');
const template = (path: string, text: string) => {
  mkdirSync(join(root, 'templates', path, '..'), { recursive: true });
  writeFileSync(join(root, 'templates', path), text);
};
const editTemplate = (path: string, from: string, to: string) => {
  const file = join(root, 'templates', path);
  const before = readFileSync(file, 'utf8');
  if (!before.includes(from)) throw new Error(`test setup: ${from} not found in ${path}`);
  writeFileSync(file, before.replace(from, to));
  return before.slice(0, before.indexOf(from)).split('\n').length;
};

function coreContext(rehearsal = false): Record<string, unknown> {
  return {
    project: { name: 'lab', region: 'eu-central-1' },
    rehearsal,
    greengrass: { nucleusVersion: '2.16.1', rootPath: '/greengrass/v2', componentUser: 'ggc_user', componentGroup: 'ggc_group', port443: false },
    endpoints: { data: 'a1-ats.iot.eu-central-1.amazonaws.com', credentials: 'c1.credentials.iot.eu-central-1.amazonaws.com' },
    roleAlias: 'lab-core-token-exchange',
    config: { project: { name: 'lab' } },
    facts: {},
  };
}

const coreItems = (): RenderItem[] => [
  {
    templateDir: 'device',
    outDir: 'devices/lab-gateway',
    context: {
      ...coreContext(),
      device: { name: 'lab-gateway', thingName: 'lab-lab-gateway', certificatePem: 'PEM\n', host: '', sshPort: 22, bundleName: 'pushbutton-core-lab-gateway' },
    },
  },
  {
    templateDir: 'client',
    outDir: 'clients/lab-sensor',
    context: {
      ...coreContext(),
      client: {
        name: 'lab-sensor',
        thingName: 'lab-lab-sensor',
        topic: 'lab/one',
        certificatePem: 'PEM\n',
        coreDevice: { name: 'lab-gateway', thingName: 'lab-lab-gateway' },
        broker: { host: '', port: '' },
        bundleName: 'pushbutton-client-lab-sensor',
      },
    },
  },
];

const renderCore = (items = coreItems(), out = outDir()) => renderStep({ workspaceRoot: root, step: 'core', outDir: out, items });

function renderError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected rendering to fail');
}

const leftovers = () => readdirSync(join(outDir(), '..')).filter((name) => name !== 'core');

describe('a copy of templates/core with one broken line', () => {
  beforeEach(() => cpSync(SHIPPED_TEMPLATES, join(root, 'templates', 'core'), { recursive: true }));

  it('fails on a misspelt property, naming the template, the line and the dotted name, and keeps the previous output', () => {
    renderCore();
    const before = snapshot(outDir());
    const line = editTemplate('core/device/config.yaml.ejs', 'device.thingName', 'device.thingNmae');

    const error = renderError(() => renderCore());
    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toBe(
      `templates/core/device/config.yaml.ejs:${line}: "device.thingNmae" is not in the template context ` +
        '(device has: name, thingName, certificatePem, host, sshPort, bundleName)',
    );
    expect(error).toMatchObject({ template: 'templates/core/device/config.yaml.ejs', line, missing: 'device.thingNmae' });
    expect(snapshot(outDir())).toEqual(before);
    expect(leftovers()).toEqual([]);
  });

  it('fails on an unknown top-level name in a shell template, listing the names there are', () => {
    const line = editTemplate('core/device/install.sh.ejs', 'greengrass.rootPath', 'greengras.rootPath');
    const error = renderError(() => renderCore());
    expect(error.message).toBe(
      `templates/core/device/install.sh.ejs:${line}: "greengras" is not in the template context ` +
        '(the context has: project, rehearsal, greengrass, endpoints, roleAlias, config, facts, device)',
    );
    expect(error).toMatchObject({ missing: 'greengras', line });
    expect(() => statSync(outDir())).toThrow();
  });

  it('fails on a missing property deep in the config', () => {
    const line = editTemplate('core/client/README.md.ejs', '<%= client.topic %>', "<%= config.project.tags['Owner'] %>");
    const error = renderError(() => renderCore());
    expect(error.message).toBe(`templates/core/client/README.md.ejs:${line}: "config.project.tags" is not in the template context (config.project has: name)`);
  });

  it('reports a template that no item renders, so a misnamed folder never skips files silently', () => {
    template('core/devices/notes.md.ejs', 'notes\n');
    const error = renderError(() => renderCore());
    expect(error.message).toMatch(/^No render item renders templates\/core\/devices\/notes\.md\.ejs\. Step core renders the templates directly in: templates\/core\/device, templates\/core\/client\./);
    rmSync(join(root, 'templates', 'core', 'devices'), { recursive: true });
    expect(renderError(() => renderCore(coreItems().slice(0, 1))).message).toContain(
      'No render item renders templates/core/client/README.md.ejs, templates/core/client/device.pem.crt.ejs, templates/core/client/run-broker-test.sh.ejs, templates/core/client/run-discovery.sh.ejs.',
    );
  });

  it('reports an item whose template folder does not exist', () => {
    const items = coreItems();
    items[0].templateDir = 'devise';
    expect(renderError(() => renderCore(items)).message).toBe('templates/core/devise/ does not exist (render item for devices/lab-gateway).');
  });

  it('lets items share a folder by a file prefix, and refuses two items that write the same file', () => {
    const [device] = coreItems();
    const shared = (filePrefix: string) => ({ ...device, outDir: 'devices', filePrefix });
    const files = renderCore([shared('a.'), shared('b.'), coreItems()[1]]);
    const devices = files.filter((file) => file.startsWith('devices/'));
    expect(devices.length).toBeGreaterThan(2);
    expect(devices.filter((file) => file.startsWith('devices/a.')).map((file) => file.slice('devices/a.'.length))).toEqual(
      devices.filter((file) => file.startsWith('devices/b.')).map((file) => file.slice('devices/b.'.length)),
    );
    expect(renderError(() => renderCore([shared('a.'), shared('a.'), coreItems()[1]])).message).toMatch(
      /^Two render items write devices\/a\.\S+ \(the second from templates\/core\/device\/\S+\): give each item its own outDir or filePrefix\.$/,
    );
    expect(renderError(() => renderCore([shared('x/a.'), coreItems()[1]])).message).toBe('filePrefix "x/a." must not name a folder; outDir does.');
  });

  it('renders the same bytes every time', () => {
    const second = join(root, 'second');
    expect(renderCore()).toEqual(renderCore(coreItems(), second));
    expect(snapshot(second)).toEqual(snapshot(outDir()));
  });

  it('replaces the previous output entirely', () => {
    renderCore();
    writeFileSync(join(outDir(), 'devices', 'lab-gateway', 'stale.txt'), 'from an older render');
    renderCore();
    expect(Object.keys(snapshot(outDir()))).not.toContain('devices/lab-gateway/stale.txt');
  });
});

describe('escaping by output type', () => {
  const VALUE = `it's $(echo ran) "q" \\ \`x\` !\nline two: {a: [b]} #c`;
  const render = () =>
    renderStep({
      workspaceRoot: root,
      step: 'kinds',
      outDir: outDir(),
      items: [{ templateDir: '', outDir: '', context: { value: VALUE, count: 3, flag: true } }],
    });

  it('makes <%= %> safe for the file it writes, and leaves <%- %> raw', () => {
    template('kinds/script.sh.ejs', '#!/usr/bin/env bash\nvalue=<%= value %>\nprintf %s "$value"\n');
    template('kinds/data.yaml.ejs', 'value: <%= value %>\ncount: <%= count %>\nflag: <%= flag %>\n');
    template('kinds/data.json.ejs', '{ "value": <%= value %>, "count": <%= count %> }\n');
    template('kinds/notes.md.ejs', 'Value: <%= value %>\nRaw: <%- count %>\n');
    template('kinds/values.env.ejs', 'value=<%= value %>\ncount=<%= count %>\n');
    expect(render()).toEqual(['data.json', 'data.yaml', 'notes.md', 'script.sh', 'values.env']);

    const ran = spawnSync('bash', [join(outDir(), 'script.sh')], { encoding: 'utf8' });
    expect(ran.stdout).toBe(VALUE);
    expect(parseYaml(readFileSync(join(outDir(), 'data.yaml'), 'utf8'))).toEqual({ value: VALUE, count: 3, flag: true });
    expect(JSON.parse(readFileSync(join(outDir(), 'data.json'), 'utf8'))).toEqual({ value: VALUE, count: 3 });
    expect(readFileSync(join(outDir(), 'notes.md'), 'utf8')).toBe(`Value: ${VALUE}\nRaw: 3\n`);
    const sourced = spawnSync('bash', ['-c', `source ${join(outDir(), 'values.env')} && printf '%s|%s' "$value" "$count"`], { encoding: 'utf8' });
    expect(sourced.stdout).toBe(`${VALUE}|3`);
    expect(statSync(join(outDir(), 'script.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(join(outDir(), 'data.yaml')).mode & 0o777).toBe(0o644);
    expect(statSync(join(outDir(), 'values.env')).mode & 0o777).toBe(0o644);
  });

  it('does not check a .env file: the script that sources it is checked, and its values are quoted', () => {
    template('kinds/values.env.ejs', 'if true; then\nvalue=<%= value %>\n');
    jest.mocked(spawnSync).mockClear();
    expect(render()).toEqual(['values.env']);
    expect(bashChecks()).toBe(0);
  });

  it('lets templates use what JavaScript probes: prototype methods, toJSON, in, and no more', () => {
    template(
      'kinds/probe.md.ejs',
      "<%= value.split('\\n').length %> <%= ['count', 'flag'].map((k) => k.toUpperCase()).join() %> <%= 'missing' in locals %> <%- JSON.stringify({ count }) %>\n",
    );
    render();
    expect(readFileSync(join(outDir(), 'probe.md'), 'utf8')).toBe('2 COUNT,FLAG false {"count":3}\n');
  });

  it('refuses a template that changes its context', () => {
    template('kinds/change.md.ejs', 'one\n<% locals.count = 4 %>\n');
    const error = renderError(render);
    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toBe('templates/kinds/change.md.ejs:2: TypeError: templates cannot change their context; this one tries to change count');
  });

  it('names the line of a JavaScript syntax error', () => {
    template('kinds/broken.md.ejs', 'one\ntwo\n<% if (flag { %>\nthree\n<% } %>\n');
    expect(renderError(render).message).toMatch(/^templates\/kinds\/broken\.md\.ejs:3: JavaScript syntax error: /);
  });

  it('checks what it rendered before replacing anything: YAML, JSON and bash syntax', () => {
    template('kinds/ok.md.ejs', 'fine\n');
    render();
    const before = snapshot(outDir());
    const rendered = join('.pushbutton', 'render', 'core');
    const cases: [string, string, RegExp][] = [
      ['bad.yaml.ejs', 'list: [<%- count %>\n', /^\S+bad\.yaml \(rendered from templates\/kinds\/bad\.yaml\.ejs\) is not valid YAML: /],
      ['bad.json.ejs', '{ "value": <%- count %>, }\n', /^\S+bad\.json \(rendered from templates\/kinds\/bad\.json\.ejs\) is not valid JSON: /],
      ['bad.sh.ejs', 'if true; then\n  echo <%= count %>\n', /^\S+bad\.sh \(rendered from templates\/kinds\/bad\.sh\.ejs\) is bash -n finds a syntax error: .*unexpected end of file/],
    ];
    for (const [name, text, message] of cases) {
      template(`kinds/${name}`, text);
      const error = renderError(render);
      expect(error.message).toMatch(message);
      expect(error.message.startsWith(join(rendered, name.replace('.ejs', '')))).toBe(true);
      expect(snapshot(outDir())).toEqual(before);
      expect(leftovers()).toEqual([]);
      rmSync(join(root, 'templates', 'kinds', name));
    }
  });
});

describe('a function in the context', () => {
  it('is given to templates as it is, while its data is copied', () => {
    template('kinds/shout.md.ejs', '<%= shout(word) %>\n');
    const context = { word: 'hi', shout: (text: string) => `${text.toUpperCase()}!` };
    renderStep({ workspaceRoot: root, step: 'kinds', outDir: outDir(), items: [{ templateDir: '', outDir: '', context }] });
    expect(readFileSync(join(outDir(), 'shout.md'), 'utf8')).toBe('HI!\n');
  });
});

describe('rendered(): one template embedding another of the same item', () => {
  const VALUE = `it's $(echo ran)\nline two`;
  const render = (context: Record<string, unknown> = { value: VALUE }) =>
    renderStep({ workspaceRoot: root, step: 'kinds', outDir: outDir(), items: [{ templateDir: '', outDir: '', context }] });
  const read = (file: string) => readFileSync(join(outDir(), file), 'utf8');
  const SCRIPT = '#!/usr/bin/env bash\nprintf %s <%= value %>\n';

  it("returns the other template's output, rendered once with its own escaping, whichever renders first", () => {
    template('kinds/a-notes.md.ejs', '<%- rendered("script.sh") %>');
    template('kinds/script.sh.ejs', SCRIPT);
    template('kinds/z-data.yaml.ejs', 'script: <%= rendered("script.sh") %>\n');
    expect(render()).toEqual(['a-notes.md', 'script.sh', 'z-data.yaml']);

    const script = read('script.sh');
    expect(spawnSync('bash', ['-c', script], { encoding: 'utf8' }).stdout).toBe(VALUE);
    expect(read('a-notes.md')).toBe(script);
    expect(parseYaml(read('z-data.yaml'))).toEqual({ script });
  });

  it('rejects a name that is not a template of the folder, naming the calling template and line', () => {
    template('kinds/script.sh.ejs', SCRIPT);
    template('kinds/notes.md.ejs', 'one\n<%- rendered("script") %>\n');
    const error = renderError(() => render());
    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toBe('templates/kinds/notes.md.ejs:2: rendered("script"): templates/kinds/ has no such template; it has "notes.md", "script.sh"');
    expect(error).toMatchObject({ template: 'templates/kinds/notes.md.ejs', line: 2 });
  });

  it("reaches a template of another folder of the step by a relative path, with the caller's context", () => {
    template('kinds/runner/run.sh.ejs', SCRIPT);
    template('kinds/case/user-data.yaml.ejs', 'runner: <%= rendered("../runner/run.sh") %>\n');
    const items = [
      { templateDir: 'runner', outDir: '.', context: { value: 'shared' } },
      { templateDir: 'case', outDir: 'cases', context: { value: VALUE } },
    ];
    expect(renderStep({ workspaceRoot: root, step: 'kinds', outDir: outDir(), items })).toEqual(['cases/user-data.yaml', 'run.sh']);
    const embedded = parseYaml(read('cases/user-data.yaml')).runner;
    expect(spawnSync('bash', ['-c', embedded], { encoding: 'utf8' }).stdout).toBe(VALUE);
  });

  it('rejects a relative path to no template, or out of the step\'s templates, naming the call', () => {
    template('kinds/runner/run.sh.ejs', SCRIPT);
    template('other/secret.txt.ejs', 'secret\n');
    for (const name of ['../runner/missing', '../../other/secret.txt']) {
      template('kinds/case/notes.md.ejs', `<%- rendered(${JSON.stringify(name)}) %>\n`);
      const items = [
        { templateDir: 'runner', outDir: '.', context: { value: 'x' } },
        { templateDir: 'case', outDir: 'cases', context: { value: 'x' } },
      ];
      const error = renderError(() => renderStep({ workspaceRoot: root, step: 'kinds', outDir: outDir(), items }));
      expect(error.message).toBe(`templates/kinds/case/notes.md.ejs:1: rendered(${JSON.stringify(name)}): there is no ${name}.ejs under templates/kinds/`);
    }
  });

  it('rejects a tag that is never closed, naming its template and the line it opens on', () => {
    template('kinds/a.sh.ejs', '#!/usr/bin/env bash\necho <%= value %>\necho <%= value\necho done\n');
    const error = renderError(() => render());
    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toBe('templates/kinds/a.sh.ejs:3: <%= opens a tag that no %> closes');
  });

  it('rejects templates that render each other in a cycle, at the call that closes it', () => {
    template('kinds/a.md.ejs', 'a\n<%- rendered("b.md") %>\n');
    template('kinds/b.md.ejs', 'b\n\n<%- rendered("a.md") %>\n');
    expect(renderError(() => render()).message).toBe('templates/kinds/b.md.ejs:3: rendered("a.md") makes a cycle: a.md -> b.md -> a.md');

    rmSync(join(root, 'templates', 'kinds'), { recursive: true });
    template('kinds/self.md.ejs', '<%- rendered("self.md") %>\n');
    expect(renderError(() => render()).message).toBe('templates/kinds/self.md.ejs:1: rendered("self.md") makes a cycle: self.md -> self.md');
  });

  it('reports an error inside the rendered template at its own line, not at the call', () => {
    template('kinds/a-caller.md.ejs', 'one\n<%- rendered("z-script.sh") %>\n');
    template('kinds/z-script.sh.ejs', '#!/usr/bin/env bash\n\necho <%= vaule %>\n');
    const error = renderError(() => render());
    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toBe('templates/kinds/z-script.sh.ejs:3: "vaule" is not in the template context (the context has: value)');
    expect(error).toMatchObject({ template: 'templates/kinds/z-script.sh.ejs', line: 3, missing: 'vaule' });
  });

  it('is no name a render item may use', () => {
    template('kinds/notes.md.ejs', 'fine\n');
    expect(renderError(() => render({ rendered: 'mine' })).message).toBe('Context name rendered is taken: the engine gives every template rendered(name).');
  });
});

describe('partials: templates named _*', () => {
  const VALUE = `it's $(echo ran)\nline two`;
  const render = (context: Record<string, unknown> = { value: VALUE }) =>
    renderStep({ workspaceRoot: root, step: 'kinds', outDir: outDir(), items: [{ templateDir: '', outDir: '', context }] });

  it('render only through rendered(), with their own escaping, and are not written', () => {
    template('kinds/_greet.sh.ejs', 'greet() { printf %s <%= value %>; }\n');
    template('kinds/main.sh.ejs', '#!/usr/bin/env bash\n<%- rendered("_greet.sh") %>greet\n');
    expect(render()).toEqual(['main.sh']);
    expect(readdirSync(outDir())).toEqual(['main.sh']);
    expect(spawnSync('bash', [join(outDir(), 'main.sh')], { encoding: 'utf8' }).stdout).toBe(VALUE);
  });

  it('are checked as their own type: a broken one fails the render, naming it, and replaces nothing', () => {
    template('kinds/_part.sh.ejs', 'echo <%= value %>\n');
    template('kinds/notes.md.ejs', '<%- rendered("_part.sh") %>');
    render();
    const before = snapshot(outDir());
    template('kinds/_part.sh.ejs', 'if true; then\n  echo <%= value %>\n');
    expect(renderError(() => render()).message).toMatch(
      /^templates\/kinds\/_part\.sh\.ejs \(a partial, rendered for \.pushbutton\/render\/core\) is bash -n finds a syntax error: .*unexpected end of file/,
    );
    expect(snapshot(outDir())).toEqual(before);
    expect(leftovers()).toEqual([]);
  });

  it('that no template uses are an error naming them, as is a folder of partials only', () => {
    template('kinds/notes.md.ejs', 'fine\n');
    template('kinds/_unused.sh.ejs', 'echo unused\n');
    expect(renderError(() => render()).message).toBe(
      'No template uses the partial templates/kinds/_unused.sh.ejs: a template whose name starts with _ renders only through ' +
        'rendered("_unused.sh") in a template of its folder. Use it, or remove it.',
    );
    expect(existsSync(outDir())).toBe(false);

    rmSync(join(root, 'templates', 'kinds', 'notes.md.ejs'));
    expect(renderError(() => render()).message).toBe('templates/kinds/ has no *.ejs templates but partials (render item for .).');
  });
});

describe('checks', () => {
  beforeEach(() => {
    jest.mocked(spawnSync).mockClear();
  });

  it('run once per distinct text of a type within a render: 200 items with the same script run bash -n once for it', () => {
    template('kinds/run.sh.ejs', '#!/usr/bin/env bash\n<%- rendered("_lib.sh") %>echo <%= value %>\n');
    template('kinds/_lib.sh.ejs', 'lib() { :; }\n');
    const items = (value: (index: number) => string) =>
      Array.from({ length: 200 }, (_, index) => ({ templateDir: '', outDir: `item-${index}`, context: { value: value(index) } }));
    const render = (renderItems: RenderItem[]) => renderStep({ workspaceRoot: root, step: 'kinds', outDir: outDir(), items: renderItems });

    expect(render(items(() => 'same'))).toHaveLength(200);
    // One run for the partial, one for the script.
    expect(bashChecks()).toBe(2);
    render(items(() => 'same'));
    expect(bashChecks()).toBe(4);
    render(items((index) => (index % 2 ? 'odd' : 'even')));
    expect(bashChecks()).toBe(4 + 3);
  });

  it('parse many YAML files back on worker threads: one broken among 600 fails the render at its item, and replaces nothing', () => {
    const workersBefore = workersStarted();
    template('kinds/ok.md.ejs', 'fine\n');
    renderStep({ workspaceRoot: root, step: 'kinds', outDir: outDir(), items: [{ templateDir: '', outDir: '.', context: {} }] });
    const before = snapshot(outDir());
    rmSync(join(root, 'templates/kinds/ok.md.ejs'));
    template('kinds/case.yaml.ejs', 'case: <%= index %>\nlist: [<%- index === 417 ? "" : "]" %>\n');
    const items = Array.from({ length: 600 }, (_, index) => ({ templateDir: '', outDir: `case-${index}`, context: { index } }));
    const render = () => renderStep({ workspaceRoot: root, step: 'kinds', outDir: outDir(), items });

    const error = renderError(render);
    expect(error.message).toMatch(/^\S+\/case-417\/case\.yaml \(rendered from templates\/kinds\/case\.yaml\.ejs\) is not valid YAML: /);
    expect(snapshot(outDir())).toEqual(before);
    expect(leftovers()).toEqual([]);
    if (availableParallelism() > 1) expect(workersStarted() - workersBefore).toBeGreaterThan(1);

    template('kinds/case.yaml.ejs', 'case: <%= index %>\nlist: []\n');
    expect(render()).toHaveLength(600);
    expect(parseYaml(readFileSync(join(outDir(), 'case-599/case.yaml'), 'utf8'))).toEqual({ case: 599, list: [] });
  });

  it('report a broken text at the first item that renders it', () => {
    template('kinds/run.sh.ejs', '#!/usr/bin/env bash\n<%- value %>\n');
    const items = ['echo fine', 'if true; then', 'if true; then'].map((value, index) => ({ templateDir: '', outDir: `item-${index}`, context: { value } }));
    const error = renderError(() => renderStep({ workspaceRoot: root, step: 'kinds', outDir: outDir(), items }));
    expect(error.message).toMatch(/^\S+\/item-1\/run\.sh \(rendered from templates\/kinds\/run\.sh\.ejs\) is bash -n finds a syntax error/);
    expect(bashChecks()).toBe(2);
  });
});

describe('a context name that cannot be a variable', () => {
  it('is read as locals.<name>, strictly', () => {
    template('kinds/case.md.ejs', '<%= locals.case.id %> <%= value %>\n');
    const render = () =>
      renderStep({ workspaceRoot: root, step: 'kinds', outDir: outDir(), items: [{ templateDir: '', outDir: '', context: { case: { id: 'c-1' }, value: 2 } }] });
    render();
    expect(readFileSync(join(outDir(), 'case.md'), 'utf8')).toBe('c-1 2\n');

    template('kinds/case.md.ejs', '<%= locals.case.idd %>\n');
    expect(renderError(render).message).toBe('templates/kinds/case.md.ejs:1: "case.idd" is not in the template context (case has: id)');
  });
});
