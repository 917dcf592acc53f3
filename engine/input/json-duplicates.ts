import { createScanner } from 'jsonc-parser';
import { escapePointer } from './schema-validation.js';

/** jsonc-parser's token kinds (its `SyntaxKind` is a const enum, which isolated modules cannot import). */
const SyntaxKind = {
  OpenBraceToken: 1,
  CloseBraceToken: 2,
  OpenBracketToken: 3,
  CloseBracketToken: 4,
  CommaToken: 5,
  NullKeyword: 7,
  TrueKeyword: 8,
  FalseKeyword: 9,
  StringLiteral: 10,
  NumericLiteral: 11,
  EOF: 17,
} as const;

/** A property name an object holds more than once: JSON.parse keeps the last silently. */
export interface DuplicateKey {
  /** JSON Pointer, from the scanned value, of the object that repeats the name. */
  readonly pointer: string;
  readonly key: string;
  /** Offset of the repeated name in the text. */
  readonly offset: number;
}

/**
 * The repeated property names inside the one JSON value that starts at `offset` (the whole text by default). Only
 * that value is scanned, token by token, so a few key policies can be checked inside a large snapshot without
 * reading the rest of it. The text is assumed to be valid JSON (JSON.parse has read it).
 */
export function duplicateKeys(text: string, offset = 0): DuplicateKey[] {
  const scanner = createScanner(text, true);
  scanner.setPosition(offset);
  const out: DuplicateKey[] = [];
  // One frame per open object or array: the names seen, the path to it, the next array index or the current name.
  const stack: { names?: Set<string>; path: string; index: number; name?: string }[] = [];
  const child = () => {
    const top = stack[stack.length - 1];
    if (top === undefined) return '';
    if (top.names === undefined) return `${top.path}/${top.index++}`;
    return `${top.path}/${escapePointer(top.name ?? '')}`;
  };
  let expectName = false;
  for (let token: number = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    switch (token) {
      case SyntaxKind.OpenBraceToken:
        stack.push({ names: new Set(), path: child(), index: 0 });
        expectName = true;
        break;
      case SyntaxKind.OpenBracketToken:
        stack.push({ path: child(), index: 0 });
        break;
      case SyntaxKind.CloseBraceToken:
      case SyntaxKind.CloseBracketToken:
        stack.pop();
        if (stack.length === 0) return out;
        break;
      case SyntaxKind.CommaToken:
        expectName = stack[stack.length - 1]?.names !== undefined;
        break;
      case SyntaxKind.StringLiteral: {
        const top = stack[stack.length - 1];
        if (expectName && top?.names !== undefined) {
          const name = scanner.getTokenValue();
          if (top.names.has(name)) out.push({ pointer: top.path, key: name, offset: scanner.getTokenOffset() });
          top.names.add(name);
          top.name = name;
          expectName = false;
        } else if (stack.length === 0) return out;
        else if (top?.names === undefined && top !== undefined) top.index++;
        break;
      }
      case SyntaxKind.NumericLiteral:
      case SyntaxKind.TrueKeyword:
      case SyntaxKind.FalseKeyword:
      case SyntaxKind.NullKeyword: {
        const top = stack[stack.length - 1];
        if (top === undefined) return out;
        if (top.names === undefined) top.index++;
        break;
      }
      default:
        break;
    }
  }
  return out;
}
