import { jsonFormatter } from './format-json.js';
import type { Formatter } from './formatter.js';

/** Every output format, by name; the CLI's --format choices come from this list. */
export const FORMATS: ReadonlyMap<string, Formatter> = new Map([jsonFormatter].map((f) => [f.name, f]));
