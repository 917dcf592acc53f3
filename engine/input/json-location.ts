import { findNodeAtLocation, type Node, parseTree } from 'jsonc-parser';
import { lineColumn } from '../core/errors.js';
import { pointerSegments } from './schema-validation.js';

/**
 * Finds a JSON Pointer's line and column in a JSON text. Only called when reporting errors, so the full-text parse
 * it needs never slows down a valid run. Falls back to the nearest existing parent.
 */
export function locateInJson(text: string, pointer: string, atKey = false): { line: number; column: number } {
  let root: Node | undefined;
  try {
    root = parseTree(text);
  } catch {
    root = undefined;
  }
  if (root === undefined) return { line: 1, column: 1 };
  const segments = pointerSegments(pointer).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  for (let length = segments.length; length >= 0; length--) {
    const node = findNodeAtLocation(root, segments.slice(0, length));
    if (node === undefined) continue;
    const key = atKey && length === segments.length && node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
    return lineColumn(text, (key ?? node).offset);
  }
  return { line: 1, column: 1 };
}
