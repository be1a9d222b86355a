import { isMap, isScalar, isSeq, LineCounter, Node, parseDocument } from 'yaml';
import type { ConfigIssue } from './config-error';

export type KeyPath = (string | number)[];

/** A parsed YAML config file that can say where any key or value sits in it. */
export class ConfigFile {
  private constructor(
    readonly path: string,
    readonly data: unknown,
    private readonly contents: Node | null,
    private readonly lines: LineCounter,
  ) {}

  /** Parses `text` as the contents of `path`; `undefined` means the file does not exist. YAML syntax problems come back as issues. */
  static fromText(path: string, text: string | undefined): { file: ConfigFile; issues: ConfigIssue[] } {
    const lines = new LineCounter();
    if (text === undefined) {
      const missing = { file: path, line: 1, column: 1, key: '(file)', expected: 'this file to exist', found: 'no such file' };
      return { file: new ConfigFile(path, undefined, null, lines), issues: [missing] };
    }
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
    const file = new ConfigFile(path, doc.errors.length ? undefined : doc.toJS(), doc.contents as Node | null, lines);
    const issues = doc.errors.map((error) => {
      const { line, col } = lines.linePos(error.pos[0]);
      const duplicate = error.code === 'DUPLICATE_KEY';
      return {
        file: path,
        line,
        column: col,
        key: '(yaml)',
        expected: duplicate ? 'each key once per mapping' : 'valid YAML',
        found: error.message.split('\n')[0],
      };
    });
    return { file, issues };
  }

  /** An issue at `keyPath`: at the key itself for `part: 'key'`, else at its value (or the nearest parent that exists). */
  issue(keyPath: KeyPath, expected: string, found: string, part: 'key' | 'value' = 'value'): ConfigIssue {
    const { line, col } = this.lines.linePos(this.offsetOf(keyPath, part));
    return { file: this.path, line, column: col, key: keyPath.join('.') || '(top level)', expected, found };
  }

  private offsetOf(keyPath: KeyPath, part: 'key' | 'value'): number {
    let node: Node | null | undefined = this.contents;
    let offset = node?.range?.[0] ?? 0;
    for (const [index, segment] of keyPath.entries()) {
      const last = index === keyPath.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        const key = pair.key as Node;
        const value = pair.value as Node | null;
        if (last && part === 'key') return key.range?.[0] ?? offset;
        node = value;
        offset = value?.range?.[0] ?? key.range?.[0] ?? offset;
      } else if (isSeq(node) && node.items[Number(segment)]) {
        node = node.items[Number(segment)] as Node;
        offset = node.range?.[0] ?? offset;
      } else {
        break;
      }
    }
    return offset;
  }
}

/** How a value reads in an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
