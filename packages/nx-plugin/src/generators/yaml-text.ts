// Edits to users' YAML that leave every byte outside the edit as it was. The yaml package's
// Document API finds where things are and writes the new parts; a whole-document round trip
// would re-flow long lines, pad flow collections and collapse aligned comments.
import { Document, isMap, isScalar, Node, Pair, parseDocument, stringify, YAMLMap } from 'yaml';

const STYLE = { lineWidth: 0, flowCollectionPadding: false, singleQuote: true } as const;
const DEFAULT_INDENT = 2;

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

/** The offset after the line break that ends the line holding `offset`. */
function lineEnd(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === '\n') return offset;
  const newline = text.indexOf('\n', offset);
  return newline === -1 ? text.length : newline + 1;
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

function indented(block: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return block
    .split('\n')
    .map((line) => (line ? pad + line : line))
    .join('\n');
}

function rendered(node: Document | YAMLMap, indent: number): string {
  const doc = node instanceof Document ? node : new Document(node);
  return doc.toString({ ...STYLE, indent });
}

/** Replaces the scalar at `path` with `value`. */
export function replaceScalar(text: string, path: string[], value: string): string {
  const node = parseDocument(text).getIn(path, true);
  if (!isScalar(node) || !node.range) throw new Error(`Expected a value at ${path.join('.')} to replace`);
  return splice(text, node.range[0], node.range[1], stringify(value, STYLE).trimEnd());
}

/**
 * Adds `entry`, a document holding one key and its value, to the top-level mapping `mapKey`,
 * which it creates at the end of the text if there is none. Expects text that parses.
 */
export function addMapEntry(text: string, mapKey: string, entry: Document): string {
  const root = parseDocument(text).contents;
  const pair = isMap(root) ? root.items.find((p) => isScalar(p.key) && p.key.value === mapKey) : undefined;
  if (!pair) return appendTopLevelMap(text, mapKey, entry);
  if (!isMap(pair.value)) throw new Error(`Expected ${mapKey} to be a mapping`);
  return pair.value.flow ? replaceFlowMap(text, pair.value, entry) : appendToBlockMap(text, pair.value, entry);
}

function appendTopLevelMap(text: string, mapKey: string, entry: Document): string {
  const separator = !text || text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
  return `${text}${separator}${mapKey}:\n${indented(rendered(entry, DEFAULT_INDENT), DEFAULT_INDENT)}`;
}

/** `key: {}` (or any flow mapping) becomes a block mapping with the entry last; a comment after it stays on the key's line. */
function replaceFlowMap(text: string, map: YAMLMap, entry: Document): string {
  const [start, end] = map.range!;
  const block = new YAMLMap();
  block.items = [...map.items, ...(entry.contents as YAMLMap).items];
  const afterColon = text.lastIndexOf(':', start) + 1;
  const at = lineEnd(text, end);
  const lineBreak = text[at - 1] === '\n' ? '' : '\n';
  const lines = indented(rendered(block, DEFAULT_INDENT), indentOfLine(text, afterColon) + DEFAULT_INDENT);
  return text.slice(0, afterColon) + text.slice(end, at) + lineBreak + lines + text.slice(at);
}

function indentOfLine(text: string, offset: number): number {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^ */.exec(text.slice(lineStart, offset))![0].length;
}

/** Writes the entry after the mapping's last one, at the same indentation and spacing. */
function appendToBlockMap(text: string, map: YAMLMap, entry: Document): string {
  const first = map.items[0] as Pair<Node, Node | null>;
  const last = map.items[map.items.length - 1] as Pair<Node, Node | null>;
  const column = columnOf(text, first.key.range![0]);
  const at = lineEnd(text, last.value?.range?.[1] ?? last.key.range![1]);
  const lineBreak = text[at - 1] === '\n' ? '' : '\n';
  const blankLine = last.key.spaceBefore ? '\n' : '';
  return splice(text, at, at, lineBreak + blankLine + indented(rendered(entry, nestedIndent(text, first, column)), column));
}

/** How far the mapping's entries indent their own keys, so the new entry matches. */
function nestedIndent(text: string, first: Pair<Node, Node | null>, column: number): number {
  const value = first.value;
  if (!isMap(value) || value.flow || !value.items.length) return DEFAULT_INDENT;
  return columnOf(text, (value.items[0].key as Node).range![0]) - column;
}
