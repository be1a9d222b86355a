import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, Node, parseDocument, Scalar, visit, YAMLError } from 'yaml';
import type { ConfigIssue } from './config-error';

export type KeyPath = (string | number)[];

/** A parsed YAML config file that can say where any key or value sits in it. */
export class ConfigFile {
  private constructor(
    readonly path: string,
    readonly data: unknown,
    private readonly doc: Document | null,
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
    const at = (offset: number, expected: string, found: string, key = '(yaml)'): ConfigIssue => {
      const { line, col } = lines.linePos(offset);
      return { file: path, line, column: col, key, expected, found };
    };
    const issues = doc.errors.map((error) => syntaxIssue(doc, error, at, (offset) => lines.linePos(offset).line));
    let data: unknown;
    if (!issues.length) {
      try {
        data = doc.toJS();
      } catch (error) {
        issues.push(aliasIssue(doc, error, at));
      }
    }
    return { file: new ConfigFile(path, data, doc, lines), issues };
  }

  /** An issue at `keyPath`: at the key itself for `part: 'key'`, else at its value (or the nearest parent that exists). */
  issue(keyPath: KeyPath, expected: string, found: string, part: 'key' | 'value' = 'value'): ConfigIssue {
    const { line, col } = this.lines.linePos(this.offsetOf(keyPath, part));
    return { file: this.path, line, column: col, key: keyPath.join('.') || '(top level)', expected, found };
  }

  /**
   * Where a key or value is. Through an alias, the place is the anchored node's, where a bad value
   * can be fixed once (and where every alias of it points).
   */
  private offsetOf(keyPath: KeyPath, part: 'key' | 'value'): number {
    const doc = this.doc;
    const resolved = (node: Node | null | undefined) => (doc && isAlias(node) ? (node.resolve(doc) as Node | undefined) : node);
    let node: Node | null | undefined = resolved(doc?.contents as Node | null);
    let offset = node?.range?.[0] ?? 0;
    for (const [index, segment] of keyPath.entries()) {
      const last = index === keyPath.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        const key = pair.key as Node;
        if (last && part === 'key') return key.range?.[0] ?? offset;
        node = resolved(pair.value as Node | null);
        offset = node?.range?.[0] ?? key.range?.[0] ?? offset;
      } else if (isSeq(node) && node.items[Number(segment)]) {
        node = resolved(node.items[Number(segment)] as Node);
        offset = node?.range?.[0] ?? offset;
      } else {
        break;
      }
    }
    return offset;
  }
}

type At = (offset: number, expected: string, found: string, key?: string) => ConfigIssue;

/** A YAML syntax error where a person fixes it: a duplicate key by name and its first line, an unclosed quote where it opens. */
function syntaxIssue(doc: Document, error: YAMLError, at: At, lineOf: (offset: number) => number): ConfigIssue {
  if (error.code === 'DUPLICATE_KEY') {
    const duplicate = duplicateKeyAt(doc, error.pos[0], lineOf);
    if (duplicate) {
      return at(error.pos[0], `each key once in a mapping (it is first on line ${duplicate.firstLine})`, `"${duplicate.key}" again`, duplicate.key);
    }
    return at(error.pos[0], 'each key once in a mapping', error.message.split('\n')[0]);
  }
  const quote = /^Missing closing (["'])quote/.exec(error.message)?.[1];
  if (error.code === 'MISSING_CHAR' && quote) {
    const opened = unclosedQuote(doc, error.pos[0]);
    return at(opened ?? error.pos[0], `a closing ${quote} for the quote that opens here`, 'none before the end of the file');
  }
  return at(error.pos[0], 'valid YAML', error.message.split('\n')[0]);
}

function duplicateKeyAt(doc: Document, offset: number, lineOf: (offset: number) => number): { key: string; firstLine: number } | undefined {
  let found: { key: string; firstLine: number } | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Map<string, Node>();
      for (const item of map.items) {
        if (!isScalar(item.key)) continue;
        const name = String(item.key.value);
        const first = seen.get(name);
        if (first && item.key.range?.[0] === offset) {
          found = { key: name, firstLine: lineOf(first.range?.[0] ?? 0) };
          return visit.BREAK;
        }
        if (!first) seen.set(name, item.key);
      }
      return undefined;
    },
  });
  return found;
}

/** Where the quoted scalar that runs to `offset` opens. */
function unclosedQuote(doc: Document, offset: number): number | undefined {
  let opened: number | undefined;
  visit(doc, {
    Scalar(_, scalar: Scalar) {
      const [start, end] = scalar.range ?? [0, 0];
      if ((scalar.type === 'QUOTE_DOUBLE' || scalar.type === 'QUOTE_SINGLE') && start < offset && end >= offset) opened = start;
    },
  });
  return opened;
}

/** An alias no anchor above it names: the yaml library throws while converting, naming only the alias. */
function aliasIssue(doc: Document, error: unknown, at: At): ConfigIssue {
  const name = error instanceof ReferenceError ? /: (\S+)$/.exec(error.message)?.[1] : undefined;
  if (!name) throw error;
  let offset = 0;
  visit(doc, {
    Alias(_, alias) {
      if (alias.source !== name) return undefined;
      offset = alias.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return at(offset, `an alias of an anchor set above it (&${name})`, `*${name}, which no anchor above names`);
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
