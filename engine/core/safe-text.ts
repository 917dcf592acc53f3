/** Text from snapshots and rule files made safe for where it is shown: terminals, CI logs, JSON, XML. */

/**
 * Control characters (C0 including line breaks, DEL, C1), Unicode line separators and bidirectional overrides
 * written as `\uXXXX`: text from a snapshot or a rule file can carry ANSI/OSC escape sequences that would
 * recolour, retitle or rewrite the terminal (or a CI log) that shows it.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, unicodeEscape);
}

/** As {@link terminalSafe}, keeping line breaks and tabs: for multi-line output such as explain and CSV. */
export function terminalSafeLines(text: string): string {
  return text.replace(UNSAFE_KEEPING_LINES, unicodeEscape);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters being escaped
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters being escaped
const UNSAFE_KEEPING_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A short excerpt of untrusted text for a message: quoted, escaped, and cut to `max` characters, so a diagnostic
 * never prints more than a few characters of content that failed to parse (it may be a secret read by mistake).
 */
export function quote(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return terminalSafe(JSON.stringify(cut));
}

/**
 * JSON text with the characters JSON.stringify leaves raw that a terminal or an editor acts on (DEL, C1 controls,
 * line separators, bidirectional overrides) written as `\\uXXXX` escapes: the same data, safe to `cat`. Such
 * characters can only appear inside JSON strings, where the escape means the same character.
 */
export function jsonSafe(json: string): string {
  return json.replace(JSON_UNSAFE, unicodeEscape);
}

const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * XML text with what XML 1.0 forbids (C0 controls but tab and line breaks, U+FFFE, U+FFFF, lone surrogates) and
 * what a terminal acts on written as the text `\\uXXXX`: a JUnit report stays well-formed whatever a finding says.
 */
export function xmlSafe(xml: string): string {
  return terminalSafeLines(xml).replace(XML_FORBIDDEN, unicodeEscape);
}

const XML_FORBIDDEN = /[\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function unicodeEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
