/** The parts of an Amazon Resource Name. */
export interface Arn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

/** Splits `arn:partition:service:region:account:resource`; `undefined` when the text is not ARN-shaped. */
export function parseArn(text: string): Arn | undefined {
  if (!text.startsWith('arn:')) return undefined;
  // Five colons end the five fixed fields; the resource keeps any further colons.
  const c1 = 3;
  const c2 = text.indexOf(':', c1 + 1);
  const c3 = c2 < 0 ? -1 : text.indexOf(':', c2 + 1);
  const c4 = c3 < 0 ? -1 : text.indexOf(':', c3 + 1);
  const c5 = c4 < 0 ? -1 : text.indexOf(':', c4 + 1);
  if (c5 < 0) return undefined;
  const partition = text.slice(c1 + 1, c2);
  const service = text.slice(c2 + 1, c3);
  if (partition === '' || service === '') return undefined;
  return { partition, service, region: text.slice(c3 + 1, c4), account: text.slice(c4 + 1, c5), resource: text.slice(c5 + 1) };
}

/** The six colon-separated fields of an ARN (resource kept whole), for component-wise comparison. */
export function arnFields(text: string): readonly string[] | undefined {
  const parts = text.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/** A 12-digit AWS account id. */
export function isAccountId(text: string): boolean {
  return /^\d{12}$/.test(text);
}
