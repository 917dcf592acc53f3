import { stringify as yamlStringify } from 'yaml';
import { fencedBlock, markdownText } from '../core/markdown-text.js';
import type { FixPlan, KeyFix, KeySource } from './fix-plan.js';
import { shellWords } from './shell-words.js';

/** One file of `trailguard fix --out-dir`: its path inside the folder and its text. */
export interface FixFile {
  readonly path: string;
  readonly text: string;
}

/** The folder a key's files go in: its position in the order to apply, and its key id. */
export function keyFolder(fix: KeyFix, index: number): string {
  return `${String(index + 1).padStart(2, '0')}-${(fix.key.split('/').pop() ?? 'key').replace(/[^A-Za-z0-9-]/g, '_')}`;
}

/** The order to apply the fixes in: a key's state first (a disabled key takes no policy), then policies, then new keys. */
export function applyOrder(plan: FixPlan): KeyFix[] {
  const rank: Readonly<Record<KeyFix['kind'], number>> = { 'key-state': 0, policy: 1, 'new-key': 2, refused: 3, manual: 4 };
  return [...plan.keys].sort((a, b) => rank[a.kind] - rank[b.kind] || a.key.localeCompare(b.key));
}

/** The policy as `aws kms put-key-policy` and `create-key` read it. */
export function policyJson(policy: unknown): string {
  return `${JSON.stringify(policy, null, 2)}\n`;
}

/**
 * The shell commands that apply a key's fix, run from its folder (they read ./policy.json). Those of a policy or a new
 * key are trailguard's own, every argument quoted; a key state's come from the rules' fix text and are only shown.
 */
export function commandsFor(fix: KeyFix): string[] {
  // A key a template declares changes with the template (its patch), not by a call that the stack would undo.
  if (fix.source !== undefined && fix.kind === 'policy') return [];
  if (fix.kind === 'policy')
    return [
      shellWords([
        'aws',
        'kms',
        'put-key-policy',
        '--region',
        fix.region,
        '--key-id',
        fix.key,
        '--policy-name',
        'default',
        '--policy',
        'file://policy.json',
      ]),
    ];
  return [...fix.commands];
}

/** The script of a policy or new-key fix: trailguard's own commands, run from the key's folder. */
function script(fix: KeyFix): string {
  const body = commandsFor(fix);
  return `#!/bin/sh\nset -eu\ncd "$(dirname "$0")"\n${body.join('\n')}\n`;
}

/** A CloudFormation template holding the key with the policy as data (`AWS::KMS::Key` `KeyPolicy`). */
export function cloudFormation(fix: KeyFix): string {
  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      fix.kind === 'new-key'
        ? `A customer managed key for CloudTrail to replace AWS managed key ${fix.key} (trailguard fix)`
        : `The key policy trailguard fix proposes for ${fix.key}: copy KeyPolicy into the template that manages the key`,
    Resources: {
      [logicalId(fix)]: {
        Type: 'AWS::KMS::Key',
        Properties: {
          Description: `CloudTrail log encryption key${fix.kind === 'new-key' ? '' : ` (${fix.key})`}`,
          KeySpec: 'SYMMETRIC_DEFAULT',
          KeyUsage: 'ENCRYPT_DECRYPT',
          KeyPolicy: fix.after,
        },
      },
    },
  };
  return `# ${fix.kind === 'new-key' ? 'A new key' : 'The key'} with the policy trailguard fix proved (see README.md).\n${yamlStringify(template, { lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' })}`;
}

/** A Terraform `aws_kms_key_policy` (or, for a new key, `aws_kms_key`) whose policy is HCL data under `jsonencode`. */
export function terraform(fix: KeyFix): string {
  const name = logicalId(fix)
    .replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
    .replace(/^_/, '');
  const policy = `jsonencode(${hcl(fix.after, 1)})`;
  const header = `# ${fix.kind === 'new-key' ? 'A new key' : 'The key policy'} trailguard fix proved for ${fix.key} (see README.md).\n`;
  if (fix.source?.kind === 'terraform-plan' && fix.kind === 'policy') {
    // The plan names the resource whose configuration sets the policy: the fix is that argument, in HCL.
    return `${header}# In the configuration of ${fix.source.resource} (or of the aws_kms_key_policy that sets its policy), set its policy argument to:\npolicy = ${policy}\n`;
  }
  if (fix.kind === 'new-key') {
    return `${header}resource "aws_kms_key" "${name}" {\n  description              = ${hclString(`CloudTrail logs (replaces AWS managed key ${fix.key})`)}\n  customer_master_key_spec = "SYMMETRIC_DEFAULT"\n  key_usage                = "ENCRYPT_DECRYPT"\n  policy                   = ${policy}\n}\n`;
  }
  return `${header}resource "aws_kms_key_policy" "${name}" {\n  key_id = ${hclString(fix.key)}\n  policy = ${policy}\n}\n`;
}

/** A name for the key in templates: CloudTrailKey and its id's first characters. */
function logicalId(fix: KeyFix): string {
  const id = (fix.key.split('/').pop() ?? '').replace(/[^A-Za-z0-9]/g, '');
  return `CloudTrailKey${id.slice(0, 12)}`;
}

/** A JSON value written as an HCL expression, indented `depth` levels. */
function hcl(value: unknown, depth: number): string {
  const pad = '  '.repeat(depth);
  const inner = '  '.repeat(depth + 1);
  if (value === null) return 'null';
  if (typeof value === 'string') return hclString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${inner}${hcl(v, depth + 1)},`).join('\n')}\n${pad}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${hclKey(k)} = ${hcl(v, depth + 1)}`).join('\n')}\n${pad}}`;
}

/** An object key: bare when it is an identifier, quoted otherwise (`"kms:EncryptionContext:aws:cloudtrail:arn"`). */
function hclKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : hclString(key);
}

/** An HCL string literal: quotes and backslashes escaped, and template sequences (`${`, `%{`) doubled so they stay text. */
function hclString(text: string): string {
  const escaped = text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(/\$\{/g, '$${')
    .replace(/%\{/g, '%%{');
  return `"${escaped}"`;
}

/** The README of the folder: what changes and why, key by key, in the order to apply. */
export function readme(plan: FixPlan, snapshots: readonly string[]): string {
  const ordered = applyOrder(plan);
  const lines = [
    '# Key policy fixes (trailguard fix)',
    '',
    `From ${snapshots.map((p) => markdownText(p)).join(', ')}. Each fix below was proven by checking the snapshots again with it in place:`,
    'the findings it resolves are listed, and a fix that made any finding worse, granted a KMS action to someone',
    'new, removed an administrator or left the account unable to administer the key was refused. `fixed-snapshot*.json`',
    'holds the snapshots with the proven policies in place: `trailguard check` it to see for yourself.',
    '',
    'Apply in this order (each folder holds `policy.json`, `commands.sh`, `cloudformation.yaml` and `terraform.tf`):',
    '',
  ];
  for (const [i, fix] of ordered.entries()) {
    const folder = keyFolder(fix, i);
    // Names, Sids and messages come from snapshots and rules: as text, never as Markdown or HTML.
    lines.push(`## ${i + 1}. ${markdownText(fix.key)} — ${KIND_TEXT[fix.kind]}`, '');
    if (fix.ownedElsewhere)
      lines.push(
        `The key belongs to account ${markdownText(fix.account)}, not to the account whose trails use it: hand this to its owner.`,
        '',
      );
    if (fix.trails.length > 0) lines.push(`Used by: ${fix.trails.map((t) => markdownText(t)).join(', ')}.`, '');
    if (fix.kind === 'policy' || fix.kind === 'new-key') lines.push(`Files: \`${folder}/\`.`, '');
    if (fix.source !== undefined) lines.push(...sourceLines(fix.source, folder), '');
    for (const change of fix.changes) lines.push(`- ${markdownText(change)}`);
    if (fix.changes.length > 0) lines.push('');
    if (fix.resolves.length > 0) {
      lines.push('Resolves:', '');
      for (const r of fix.resolves) lines.push(`- ${markdownText(r.ruleId)} on ${markdownText(r.resource)}: ${r.before} → ${r.after}`);
      lines.push('');
    }
    for (const refusal of fix.refusals) lines.push(`- ${fix.kind === 'refused' ? 'Refused' : 'By hand'}: ${markdownText(refusal)}`);
    if (fix.refusals.length > 0) lines.push('');
    const commands = commandsFor(fix);
    if (commands.length > 0 && fix.kind !== 'refused' && fix.kind !== 'manual') lines.push(fencedBlock(commands.join('\n'), 'sh'), '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Where the key is declared, and how the fix goes into that file. */
function sourceLines(source: KeySource, folder: string): string[] {
  const where = `${markdownText(source.file)}:${source.line}:${source.column} (${markdownText(source.resource)})`;
  if (source.kind === 'terraform-plan')
    return [
      `Declared in the Terraform plan at ${where}: set that resource's \`policy\` as \`${folder}/terraform.tf\` writes it, and apply with Terraform.`,
    ];
  if (source.patch !== undefined)
    return [
      `Declared in ${where}. \`${folder}/template.patch\` makes the change in the template itself (checked: the patched template imports to exactly this policy):`,
      '',
      fencedBlock(`git apply OUT-DIR/${folder}/template.patch   # from the folder trailguard fix ran in`, 'sh'),
      '',
      'Deploy the stack as usual; do not put-key-policy a key CloudFormation manages (the stack would drift).',
    ];
  return [`Declared in ${where}. ${markdownText(source.reason ?? '')}`];
}

const KIND_TEXT: Readonly<Record<KeyFix['kind'], string>> = {
  policy: 'a new key policy',
  'new-key': 'an AWS managed key: a new customer managed key for its trails',
  'key-state': "the key's state",
  refused: 'a policy was computed and refused',
  manual: 'to fix by hand',
};

/** Every file of the folder: the README, the fixed snapshots, and per key its policy and forms. */
export function fixFiles(plan: FixPlan, snapshots: readonly string[]): FixFile[] {
  const files: FixFile[] = [{ path: 'README.md', text: readme(plan, snapshots) }];
  for (const [i, fixed] of plan.fixed.entries()) {
    const base = plan.fixed.length === 1 ? 'fixed-snapshot.json' : `fixed-snapshot-${i + 1}.json`;
    files.push({ path: base, text: `${JSON.stringify(fixed.document, null, 2)}\n` });
  }
  for (const [i, fix] of applyOrder(plan).entries()) {
    if (fix.kind !== 'policy' && fix.kind !== 'new-key') continue;
    const folder = keyFolder(fix, i);
    files.push(
      { path: `${folder}/policy.json`, text: policyJson(fix.after) },
      { path: `${folder}/commands.sh`, text: script(fix) },
      { path: `${folder}/cloudformation.yaml`, text: cloudFormation(fix) },
      { path: `${folder}/terraform.tf`, text: terraform(fix) },
      ...(fix.source?.patch === undefined ? [] : [{ path: `${folder}/template.patch`, text: fix.source.patch }]),
    );
  }
  return files;
}
