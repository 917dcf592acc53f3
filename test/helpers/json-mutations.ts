import fc from 'fast-check';

/** Structural mutations of JSON documents for the seeded fuzz suites (snapshots, rules, AWS answers). */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const OPS = [
  'delete',
  'null',
  'number',
  'negative',
  'bool',
  'long-string',
  'odd-string',
  'empty-string',
  'wrap-array',
  'empty-object',
  'proto-key',
  'duplicate',
  'deep',
  'swap-type',
] as const;
export type Op = (typeof OPS)[number];

export const mutation = fc.tuple(fc.nat(), fc.constantFrom(...OPS), fc.nat());
export const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });
export const textMutation = fc.option(fc.tuple(fc.nat(), fc.constantFrom('truncate', 'insert', 'delete'), fc.string({ maxLength: 4 })), {
  nil: undefined,
  freq: 4,
});

/** Every container and the key or index of each value in it, to a depth of 40 (a mutant may nest thousands deep). */
function slots(doc: Json): { parent: Json[] | Record<string, Json>; key: string | number }[] {
  const out: { parent: Json[] | Record<string, Json>; key: string | number }[] = [];
  const stack: [Json, number][] = [[doc, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [Json, number];
    if (value === null || typeof value !== 'object' || depth > 40) continue;
    const entries: [string | number, Json][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    for (const [key, child] of entries.reverse()) {
      out.push({ parent: value, key });
      stack.push([child, depth + 1]);
    }
  }
  return out;
}

function replacement(op: Op, old: Json, n: number): Json | undefined {
  switch (op) {
    case 'null':
      return null;
    case 'number':
      return n;
    case 'negative':
      return -n - 0.5;
    case 'bool':
      return n % 2 === 0;
    case 'long-string':
      return 'x'.repeat(1000 + (n % 5000));
    case 'odd-string':
      return ['\u0000', '\ud800', '{{resource.Name}}', '${aws:SourceAccount}', '*', '$..*', 'arn:aws:kms:us-east-1:111122223333:key/'][
        n % 7
      ] as string;
    case 'empty-string':
      return '';
    case 'wrap-array':
      return [old];
    case 'empty-object':
      return {};
    case 'deep':
      return JSON.parse(`${'['.repeat(200 + (n % 1000))}${']'.repeat(200 + (n % 1000))}`) as Json;
    case 'swap-type':
      return typeof old === 'string' ? n : typeof old === 'number' ? String(old) : Array.isArray(old) ? {} : [];
    default:
      return undefined;
  }
}

/** Applies structural mutations to a copy of a document. */
export function mutate(doc: Json, ops: readonly [number, Op, number][]): Json {
  const copy = structuredClone(doc);
  for (const [at, op, n] of ops) {
    const all = slots(copy);
    if (all.length === 0) break;
    const { parent, key } = all[at % all.length] as (typeof all)[number];
    const old = (parent as Record<string | number, Json>)[key] as Json;
    if (op === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
    } else if (op === 'proto-key') {
      if (old !== null && typeof old === 'object' && !Array.isArray(old))
        Object.defineProperty(old, '__proto__', { value: { polluted: n }, enumerable: true, writable: true, configurable: true });
    } else if (op === 'duplicate') {
      if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(old));
    } else {
      (parent as Record<string | number, Json>)[key] = replacement(op, old, n) as Json;
    }
  }
  return copy;
}
