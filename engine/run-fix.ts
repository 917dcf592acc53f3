import { isDeepStrictEqual } from 'node:util';
import { parseArn } from './core/arn.js';
import type { Grantee, PolicyEvidence } from './core/evidence.js';
import { isPolicyEvidence } from './core/evidence.js';
import type { AssertionEvidence, Finding, Status } from './core/model.js';
import { packagePath } from './core/package-root.js';
import { defaultKeyPolicy, statementsOf } from './core/policy-statements.js';
import { evaluateRules } from './evaluate/evaluate-rule.js';
import type { FindingRef, FixPlan, KeyFix, KeyFixKind } from './fix/fix-plan.js';
import { KEY_POLICY_LIMIT } from './fix/fix-plan.js';
import { mergeStatements, type StatementJson } from './fix/merge-statements.js';
import { shellWords } from './fix/shell-words.js';
import { templatePatch } from './fix/template-patch.js';
import { importCloudFormation } from './import/cloudformation.js';
import type { ImportOptions } from './import/import-input.js';
import { readTextFile } from './input/read-input.js';
import type { CompiledRule } from './rules/compiled-rule.js';
import { loadRulePacks } from './rules/load-rules.js';
import { loadRunInputs, onUnsettledResource, type RunInputs } from './run-check.js';
import { inMemorySnapshot } from './snapshot/load-snapshot.js';
import { SnapshotSet } from './snapshot/snapshot-set.js';
import type { LoadedSnapshot } from './snapshot/types.js';

/** How many rounds of evaluate-then-amend a fix may take (removing a kms:* grant can call for a DescribeKey grant). */
const ROUNDS = 4;

/** The actions whose grantees are the key's administrators: a fix must keep every one of them. */
const ADMIN_ACTIONS = new Set(['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey']);
const CLOUDTRAIL = 'cloudtrail.amazonaws.com';

/** What `planFix` reads: the snapshots and the rule packs (waivers play no part: a waived finding still fails). */
export type FixRequest = Omit<RunInputs, 'waivers'>;

/**
 * For each key whose policy makes a finding fail: one new policy that keeps every statement, adds what the failing
 * rules ask for (the statements their fixes give, merged over every trail that uses the key), exempts AWS services
 * from a Deny that blocks CloudTrail, and removes a CloudTrail-only grant that lets other trails use the key; then
 * proves it by evaluating the snapshots again with it in place, and refuses it when a finding gets worse, someone new
 * is granted a KMS action (besides CloudTrail and the accounts whose trails use the key), an administrator is lost,
 * the account could no longer administer the key, or it exceeds KMS's size limit.
 */
export async function planFix(request: FixRequest): Promise<FixPlan> {
  const { snapshots, packs } = await loadRunInputs(request);
  const rules = packs.flatMap((p) => p.rules);
  const guards = (await loadRulePacks([packagePath('rules', 'trailguard-fix-guards')])).flatMap((p) => p.rules);
  const original = evaluate(snapshots, rules);
  const keys = keysToFix(snapshots, original);
  // A key whose policy cannot change (AWS managed) is replaced: a new customer managed key, starting from the
  // account's root delegation alone, takes its trails and gets its policy the same way as the others.
  const { world, replacements } = withNewKeys(snapshots, keys);
  for (const [old, arn] of replacements) {
    const key = keys.get(old) as KeyToFix;
    keys.set(arn, { ...key, arn, kind: 'policy', policy: rootDelegation(key), commands: [], why: [], replaces: old });
  }

  // Amend every key's policy together, round by round, until nothing amendable is left failing.
  const policies = new Map<string, unknown>([...keys.values()].map((k) => [k.arn, k.policy]));
  const changes = new Map<string, string[]>([...keys.keys()].map((arn) => [arn, []]));
  const notes = new Map<string, string[]>([...keys.keys()].map((arn) => [arn, []]));
  const memory = new Map<string, AmendMemory>([...keys.keys()].map((arn) => [arn, { wanted: new Map(), extended: new Set() }]));
  const oversized = new Map<string, unknown>();
  let current = original;
  for (let round = 0; round < ROUNDS; round++) {
    let amended = false;
    const policyFailures = indexByKey(
      current.filter((f) => f.status === 'fail'),
      keysNamed,
    );
    for (const key of keys.values()) {
      if (key.kind !== 'policy' || oversized.has(key.arn)) continue;
      const failing = policyFailures.get(key.arn) ?? [];
      if (failing.length === 0) continue;
      const result = amend(policies.get(key.arn), failing, key, memory.get(key.arn) as AmendMemory);
      if (result.changes.length > 0) {
        changes.get(key.arn)?.push(...result.changes);
        // A policy KMS would refuse is not evaluated (no snapshot may hold one): it is refused as it stands.
        if (sizeProblem(result.policy).length > 0) oversized.set(key.arn, result.policy);
        else {
          policies.set(key.arn, result.policy);
          amended = true;
        }
      }
      for (const note of result.notes) if (!notes.get(key.arn)?.includes(note)) notes.get(key.arn)?.push(note);
    }
    if (!amended) break;
    current = evaluate(patch(world, policies), rules);
  }

  // The proof: findings, grantees, administrators, the lockout check and the size limit, key by key.
  const refusals = new Map<string, string[]>();
  const changed = [...keys.values()].filter((k) => k.kind === 'policy' && (changes.get(k.arn)?.length ?? 0) > 0);
  const guardBefore = grantees(evaluate(snapshots, guards));
  const guardAfter = grantees(evaluate(patch(world, policies), guards));
  const worse = worseFindings(original, current);
  for (const key of changed) {
    const reasons = [
      ...worse.filter((w) => w.keys.includes(key.arn)).map((w) => `${w.ruleId} on ${w.resource} would go from ${w.before} to ${w.after}`),
      ...guardProblems(key, key.replaces === undefined ? guardBefore.get(key.arn) : undefined, guardAfter.get(key.arn)),
      ...sizeProblem(oversized.get(key.arn) ?? policies.get(key.arn)),
    ];
    if (reasons.length > 0) refusals.set(key.arn, reasons);
  }
  // A worse finding that no key explains refuses them all: the proof must hold for the whole run.
  const unexplained = worse.filter((w) => !changed.some((k) => w.keys.includes(k.arn)));
  if (unexplained.length > 0) {
    for (const key of changed)
      refusals.set(key.arn, [
        ...(refusals.get(key.arn) ?? []),
        ...unexplained.map((w) => `${w.ruleId} on ${w.resource} would go from ${w.before} to ${w.after}`),
      ]);
  }
  const proven = new Map([...policies].filter(([arn]) => !refusals.has(arn) && (changes.get(arn)?.length ?? 0) > 0));
  const final = refusals.size === 0 ? current : evaluate(patch(world, proven), rules);

  const finalById = byId(final);
  const failingBefore = indexByKey(original.filter(failed), mentioned);
  const failingAfter = indexByKey(final.filter(failed), mentioned);
  const plan: KeyFix[] = [...keys.values()].flatMap((key) => {
    if (key.replaces !== undefined) return [];
    const replacement = replacements.get(key.arn);
    // A replaced key reports its replacement's policy, proof and refusals.
    const subject = replacement === undefined ? key : (keys.get(replacement) as KeyToFix);
    const keyChanges = changes.get(subject.arn) ?? [];
    const refused = refusals.get(subject.arn);
    const kind: KeyFixKind =
      key.kind === 'key-state' || key.kind === 'manual'
        ? key.kind
        : refused !== undefined
          ? 'refused'
          : keyChanges.length === 0
            ? 'manual'
            : key.kind === 'new-key'
              ? 'new-key'
              : 'policy';
    const proved = kind === 'policy' || kind === 'new-key';
    return [
      {
        key: key.arn,
        account: key.account,
        region: key.region,
        partition: key.partition,
        kind,
        ownedElsewhere: key.ownedElsewhere,
        trails: key.trails,
        before: key.policy,
        after: proved || kind === 'refused' ? (oversized.get(subject.arn) ?? policies.get(subject.arn)) : null,
        changes: keyChanges,
        resolves: proved ? resolved(failingBefore.get(key.arn) ?? [], finalById) : [],
        remaining: ((proved ? failingAfter : failingBefore).get(subject.arn) ?? []).map((f) => ({ ...ref(f, f), message: f.message })),
        refusals: [...(refused ?? []), ...(kind === 'manual' ? (notes.get(subject.arn) ?? []).concat(key.why) : [])],
        commands: kind === 'new-key' ? newKeyCommands(key) : key.commands,
      },
    ];
  });
  // The snapshots as collected with the proven policies in place (a replacement key is not in them: it does not exist yet).
  const fixedSnapshots = patch(snapshots, proven);
  const sourced = await Promise.all(plan.map((fix) => withSource(fix, snapshots, request.imports ?? {})));
  return {
    keys: sourced,
    fixed: fixedSnapshots.map((s, i) => ({ path: snapshots[i]?.path ?? s.path, document: s.document })),
    worse: worseFindings(original, final).map(({ keys: _, ...w }) => w),
  };
}

/**
 * A key fix for a key an imported file declares, with where and (for a CloudFormation template) the patch that makes
 * the fix: the patched template is imported again and must give exactly the proven policy, or no patch is offered.
 */
async function withSource(fix: KeyFix, snapshots: readonly LoadedSnapshot[], options: ImportOptions): Promise<KeyFix> {
  const snapshot = snapshots.find((s) => s.document.locations?.[fix.key] !== undefined);
  const location = snapshot?.document.locations?.[fix.key];
  const kind = snapshot?.document.collection?.source;
  if (location === undefined || (kind !== 'cloudformation' && kind !== 'terraform-plan')) return fix;
  const at = {
    kind,
    file: location.file,
    line: location.policy?.line ?? location.line,
    column: location.policy?.column ?? location.column,
    resource: location.resource,
  };
  if (kind === 'terraform-plan' || (fix.kind !== 'policy' && fix.kind !== 'refused')) return { ...fix, source: at };
  const { text } = await readTextFile(location.file, 'template file');
  const made = templatePatch(text, location, fix.before, fix.after, { account: fix.account, region: fix.region, partition: fix.partition });
  if (typeof made === 'string') return { ...fix, source: { ...at, reason: made } };
  const check = importCloudFormation([{ path: location.file, text: made.patched, sha256: '' }], {
    account: fix.account,
    region: fix.region,
    ...(options.parameters === undefined ? {} : { parameters: options.parameters }),
    ...(options.stackName === undefined ? {} : { stackName: options.stackName }),
  });
  const reimported = check.document?.keys[fix.key]?.policy;
  // The order of statements means nothing to IAM: the patch may add them where the template's list ends.
  const sorted = (policy: unknown) =>
    statementsOf(policy)
      .map((s) => JSON.stringify(s))
      .sort();
  if (!isDeepStrictEqual(sorted(reimported), sorted(fix.after)))
    return {
      ...fix,
      source: {
        ...at,
        reason: 'the patched template would not import to the fixed policy: change the KeyPolicy by hand to the policy in policy.json',
      },
    };
  return { ...fix, source: { ...at, patch: made.patch } };
}

/** A key some failing finding's policy check names, with what is known of it. */
interface KeyToFix {
  readonly arn: string;
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly kind: 'policy' | 'new-key' | 'key-state' | 'manual';
  readonly policy: unknown;
  readonly trails: readonly string[];
  readonly ownedElsewhere: boolean;
  readonly commands: readonly string[];
  /** For `manual`: why. */
  readonly why: readonly string[];
  /** For the new key that replaces an AWS managed one: that key. */
  readonly replaces?: string;
}

/** The ARN a replacement for an AWS managed key is evaluated under (the real one is known once it is created). */
export function replacementArn(key: {
  readonly arn: string;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}): string {
  return `arn:${key.partition}:kms:${key.region}:${key.account}:key/new-key-replacing-${key.arn.split('/').pop() ?? ''}`;
}

/** The account's root delegation, all a new key's policy holds before the fix adds CloudTrail's statements. */
function rootDelegation(key: KeyToFix): unknown {
  return defaultKeyPolicy(key.partition, key.account, 'key-policy');
}

/**
 * The snapshots as evaluated while fixing: each AWS managed key's trails moved to a new customer managed key (enabled,
 * symmetric, in the same account and Region) whose policy starts as the root delegation.
 */
function withNewKeys(
  snapshots: readonly LoadedSnapshot[],
  keys: ReadonlyMap<string, KeyToFix>,
): { world: LoadedSnapshot[]; replacements: Map<string, string> } {
  const replacements = new Map<string, string>();
  for (const key of keys.values()) if (key.kind === 'new-key') replacements.set(key.arn, replacementArn(key));
  if (replacements.size === 0) return { world: [...snapshots], replacements };
  const world = snapshots.map((s) => {
    const trails = (s.document.trails ?? []).map((t) => {
      const old = [...replacements.keys()].find((arn) => usesKey(t, arn, s));
      return old === undefined ? t : { ...(t as object), KmsKeyId: replacements.get(old) };
    });
    const added = Object.fromEntries(
      [...replacements]
        .filter(([old]) => s.document.keys?.[old] !== undefined)
        .map(([old, arn]) => {
          const key = keys.get(old) as KeyToFix;
          const metadata = {
            AWSAccountId: key.account,
            KeyId: arn.split('/').pop(),
            Arn: arn,
            Enabled: true,
            KeyUsage: 'ENCRYPT_DECRYPT',
            KeyState: 'Enabled',
            Origin: 'AWS_KMS',
            KeyManager: 'CUSTOMER',
            KeySpec: 'SYMMETRIC_DEFAULT',
            CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
            MultiRegion: false,
          };
          return [arn, { metadata, policy: rootDelegation(key), error: null }];
        }),
    );
    return inMemorySnapshot({ ...s.document, trails, keys: { ...(s.document.keys ?? {}), ...added } }, s.path);
  });
  return { world, replacements };
}

/** Create the replacement key with the policy, then move each trail to it. */
function newKeyCommands(key: KeyToFix): string[] {
  const create = shellWords([
    'aws',
    'kms',
    'create-key',
    '--region',
    key.region,
    '--description',
    `CloudTrail logs (replaces AWS managed key ${key.arn})`,
    '--key-spec',
    'SYMMETRIC_DEFAULT',
    '--key-usage',
    'ENCRYPT_DECRYPT',
    '--policy',
    'file://policy.json',
    '--query',
    'KeyMetadata.Arn',
    '--output',
    'text',
  ]);
  return [
    `NEW_KEY_ARN=$(${create})`,
    ...key.trails.map(
      (trail) =>
        `${shellWords(['aws', 'cloudtrail', 'update-trail', '--region', parseArn(trail)?.region ?? key.region, '--name', trail, '--kms-key-id'])} "$NEW_KEY_ARN"`,
    ),
  ];
}

function keysToFix(snapshots: readonly LoadedSnapshot[], findings: readonly Finding[]): Map<string, KeyToFix> {
  const keys = new Map<string, KeyToFix>();
  const failing = findings.filter(failed);
  const reading = indexByKey(failing, keysRead);
  const trailsOf = trailsByKey(snapshots);
  for (const arn of [...reading.keys()].sort()) {
    const parsed = parseArn(arn);
    const entries = snapshots.flatMap((s) => {
      const entry = s.document.keys?.[arn];
      return entry === undefined ? [] : [{ snapshot: s, entry }];
    });
    const holder = entries.find((e) => e.entry.policy !== null && typeof e.entry.policy === 'object') ?? entries[0];
    const metadata = (holder?.entry.metadata ?? {}) as Record<string, unknown>;
    const trails = trailsOf(arn);
    const about = reading.get(arn) ?? [];
    const commands = [...new Set(about.flatMap((f) => (f.fix?.command === undefined ? [] : [f.fix.command])))];
    const base = {
      arn,
      account: parsed?.account ?? '',
      region: parsed?.region ?? '',
      partition: parsed?.partition ?? 'aws',
      policy: holder?.entry.policy ?? null,
      trails,
      // A log-archive key used by other accounts' trails: its owner applies the policy, not the trails' accounts.
      ownedElsewhere: trails.length > 0 && !trails.some((t) => parseArn(t)?.account === parsed?.account),
    };
    const state = metadata.KeyState;
    if (metadata.KeyManager === 'AWS') keys.set(arn, { ...base, kind: 'new-key', commands, why: [] });
    else if (state === 'Disabled' || state === 'PendingDeletion' || state === 'PendingReplicaDeletion')
      keys.set(arn, { ...base, kind: 'key-state', commands, why: [] });
    else if (holder === undefined || base.policy === null || typeof base.policy !== 'object')
      keys.set(arn, {
        ...base,
        kind: 'manual',
        commands: [],
        why: [
          `the policy of ${arn} is not in any snapshot given${holder?.entry.error ? ` (${holder.entry.error.code})` : ''}: collect it first`,
        ],
      });
    else
      keys.set(arn, {
        ...base,
        kind: 'policy',
        commands: [],
        // Said when no policy change comes of it: the failing checks that are not about the policy, with their fixes.
        why: about
          .filter((f) => !keysNamed(f).includes(arn))
          .map((f) => {
            const query = (f.evidence.assertions ?? []).some((a) => a.document === arn && a.op === 'iam-grantees' && a.status === 'fail');
            const what = query
              ? 'because of whom the key policy grants an action to (a policy query, which fix does not rewrite)'
              : 'for something other than the key policy';
            return `${f.ruleId} fails on ${f.resource.id} ${what}${f.fix === undefined ? '' : `: ${f.fix.summary}`}`;
          }),
      });
  }
  return keys;
}

/**
 * The trails that use each key, found once: by the key's ARN, an alias of it the snapshot records, or its bare id in
 * the trail's `KmsKeyId`.
 */
function trailsByKey(snapshots: readonly LoadedSnapshot[]): (arn: string) => string[] {
  const byId = new Map<string, { snapshot: LoadedSnapshot; arn: string }[]>();
  for (const snapshot of snapshots) {
    for (const trail of snapshot.document.trails ?? []) {
      const id = (trail as { KmsKeyId?: unknown }).KmsKeyId;
      if (typeof id !== 'string') continue;
      byId.set(id, [...(byId.get(id) ?? []), { snapshot, arn: String((trail as { TrailARN?: unknown }).TrailARN ?? '') }]);
    }
  }
  return (arn) => {
    const found = new Set<string>();
    for (const { arn: trail } of byId.get(arn) ?? []) found.add(trail);
    for (const { arn: trail } of byId.get(arn.split('/').pop() ?? '') ?? []) found.add(trail);
    for (const snapshot of snapshots)
      for (const alias of snapshot.document.keys?.[arn]?.aliases ?? [])
        for (const use of byId.get(alias) ?? []) if (use.snapshot === snapshot) found.add(use.arn);
    return [...found];
  };
}

/** Findings under each key a function picks from them (a finding under each of its keys). */
function indexByKey(findings: readonly Finding[], pick: (f: Finding) => readonly string[]): Map<string, Finding[]> {
  const index = new Map<string, Finding[]>();
  for (const f of findings) {
    for (const key of new Set(pick(f))) {
      const list = index.get(key);
      if (list === undefined) index.set(key, [f]);
      else list.push(f);
    }
  }
  return index;
}

function failed(f: Finding): boolean {
  return f.status === 'fail' || f.status === 'error';
}

/** Every key a finding is about: its resource (a key), the documents its checks read, the key its fix changes. */
function mentioned(f: Finding): string[] {
  return [
    ...(f.resource.id.includes(':kms:') ? [f.resource.id] : []),
    ...(f.evidence.assertions ?? []).flatMap((a) => a.document ?? []),
    ...(f.fix?.document === undefined ? [] : [f.fix.document]),
  ];
}

function usesKey(trail: unknown, arn: string, snapshot: LoadedSnapshot): boolean {
  const id = (trail as { KmsKeyId?: unknown }).KmsKeyId;
  if (typeof id !== 'string') return false;
  if (id === arn) return true;
  // An alias the snapshot resolves, or a bare key id in the trail's account and Region.
  const aliased = Object.entries(snapshot.document.keys ?? {}).some(([k, entry]) => k === arn && (entry.aliases ?? []).includes(id));
  return aliased || (!id.startsWith('arn:') && arn.endsWith(`/${id}`));
}

/** The keys a finding's failing or undecided checks read (their policy, state or anything else). */
function keysRead(f: Finding): string[] {
  return (f.evidence.assertions ?? []).flatMap((a) =>
    a.document !== undefined && /^arn:[^:]+:kms:/.test(a.document) && (a.status === 'fail' || a.status === 'unknown') ? [a.document] : [],
  );
}

/** The keys whose policy a finding's failing policy check read. */
function keysNamed(f: Finding): string[] {
  return (f.evidence.assertions ?? []).flatMap((a) =>
    a.document !== undefined && a.op === 'iam-policy' && (a.status === 'fail' || a.status === 'unknown') ? [a.document] : [],
  );
}

/** What the rounds of amending one key remember. */
interface AmendMemory {
  /** Every statement the fixes asked for so far, merged, by Sid: a later round adds to them, never loses one. */
  readonly wanted: Map<unknown, StatementJson>;
  /** Sids whose existing statement was extended once: if the rules still fail, it is replaced the next time. */
  readonly extended: Set<unknown>;
}

/** One round of amendments to a key's policy for its failing findings. */
function amend(
  policy: unknown,
  failing: readonly Finding[],
  key: KeyToFix,
  memory: AmendMemory,
): { policy: unknown; changes: string[]; notes: string[] } {
  const document = policy as object;
  const statements = statementsOf(policy).map((s) => ({ ...(s as Record<string, unknown>) }));
  const changes: string[] = [];
  const notes: string[] = [];
  const removed = new Set<number>();
  const label = (i: number) =>
    `Statement[${i}]${typeof statements[i]?.Sid === 'string' ? ` (Sid ${JSON.stringify(statements[i]?.Sid)})` : ''}`;

  for (const f of failing) {
    for (const a of f.evidence.assertions ?? []) {
      const details = policyDetails(a);
      if (details === undefined || a.status !== 'fail') continue;
      // A Deny that blocks the request: exempt the kind of caller the rule needs (AWS services, or requests an AWS
      // service makes for a principal), the narrowest change that lets it through.
      for (const denied of details.deniedBy ?? []) {
        const exemption = exemptionFor(details);
        const statement = statements[denied.index];
        if (statement === undefined) continue;
        if (exemption === undefined) {
          notes.push(
            `${label(denied.index)} denies ${details.request?.action ?? 'the request'} to ${details.request?.caller ?? 'the caller'}: a Deny on principals is deliberate, so change it by hand if they should read the logs`,
          );
          continue;
        }
        const condition = { ...((statement.Condition ?? {}) as Record<string, Record<string, unknown>>) };
        const bool = { ...(condition.Bool ?? {}) };
        if (bool[exemption] !== undefined) {
          notes.push(
            `${label(denied.index)} denies ${details.request?.action ?? 'the request'} even with ${exemption} "false": narrow it by hand`,
          );
          continue;
        }
        bool[exemption] = 'false';
        statement.Condition = { ...condition, Bool: bool };
        changes.push(
          `${label(denied.index)} denied ${f.ruleId}'s request (${details.request?.caller ?? 'the caller'}); it now applies only when ${exemption} is false`,
        );
      }
      // A grant that also allows what the rule forbids (any trail of any account, no encryption context).
      for (const probe of details.probes ?? []) {
        for (const by of probe.allowedBy ?? []) {
          const statement = statements[by.index];
          if (statement === undefined || removed.has(by.index)) continue;
          if (onlyCloudTrail(statement)) {
            removed.add(by.index);
            changes.push(
              `${label(by.index)} granted CloudTrail ${JSON.stringify(statement.Action ?? statement.NotAction)} with nothing confining it (it allows ${probe.name}); removed: the confined statements below grant what CloudTrail needs`,
            );
          } else {
            notes.push(`${label(by.index)} allows ${f.ruleId}'s probe ${probe.name} and grants more than CloudTrail: narrow it by hand`);
          }
        }
      }
    }
  }
  // What the failing rules' fixes ask this key to hold, one statement per purpose for every trail.
  const wanted = mergeStatements(
    failing.flatMap((f) => (f.fix?.statement !== undefined && f.fix.document === key.arn ? [f.fix.statement as StatementJson] : [])),
  );
  const kept = statements.filter((_, i) => !removed.has(i));
  for (const asked of wanted) {
    const before = memory.wanted.get(asked.Sid);
    const together = before === undefined ? [asked] : mergeStatements([before, asked]);
    const statement = together.length === 1 ? (together[0] as StatementJson) : asked;
    memory.wanted.set(asked.Sid, statement);
    const same = kept.findIndex((s) => s.Sid === statement.Sid);
    if (same >= 0) {
      // A statement with the same Sid and shape first keeps what it granted (the trails it already named) and gains
      // the rest; if the rules still fail, its values were wrong, and it is replaced by what the fixes asked for.
      const existing = kept[same] as StatementJson;
      const merged = memory.extended.has(statement.Sid) ? [statement, statement] : mergeStatements([existing, statement]);
      const next = merged.length === 1 ? (merged[0] as StatementJson) : statement;
      if (JSON.stringify(next) === JSON.stringify(existing)) continue;
      if (merged.length === 1) memory.extended.add(statement.Sid);
      kept[same] = { ...next };
      changes.push(
        `the statement with Sid ${JSON.stringify(statement.Sid)} ${merged.length === 1 ? 'is extended' : 'is replaced'}: ${purposeOf(failing, statement)}`,
      );
    } else {
      kept.push({ ...statement });
      changes.push(
        `added ${statement.Sid === undefined ? 'a statement' : `Sid ${JSON.stringify(statement.Sid)}`}: ${purposeOf(failing, statement)}`,
      );
    }
  }
  return { policy: { ...document, Statement: kept }, changes, notes };
}

function purposeOf(failing: readonly Finding[], statement: StatementJson): string {
  const rules = [
    ...new Set(
      failing
        .filter((f) => f.fix?.statement !== undefined && (f.fix.statement as StatementJson).Sid === statement.Sid)
        .map((f) => f.ruleId),
    ),
  ];
  return `for ${rules.join(', ')}`;
}

function policyDetails(a: AssertionEvidence): PolicyEvidence | undefined {
  return a.details !== undefined && isPolicyEvidence(a.details) ? a.details : undefined;
}

/**
 * The Bool key whose "false" exempts the request from a Deny: AWS service principals (CloudTrail). A Deny that blocks
 * IAM principals is left alone: it is a decision about people, not a side effect on a service.
 */
function exemptionFor(details: PolicyEvidence): string | undefined {
  return (details.request?.caller ?? '').startsWith('service ') ? 'aws:PrincipalIsAWSService' : undefined;
}

/** An Allow whose only principal is the CloudTrail service. */
function onlyCloudTrail(statement: Record<string, unknown>): boolean {
  if (statement.Effect !== 'Allow') return false;
  const principal = statement.Principal;
  if (principal === null || typeof principal !== 'object') return false;
  const entries = Object.entries(principal as Record<string, unknown>);
  if (entries.length !== 1 || entries[0]?.[0] !== 'Service') return false;
  const services = [entries[0]?.[1]].flat();
  return services.length > 0 && services.every((s) => s === CLOUDTRAIL);
}

/** The snapshots with the given key policies in place of the collected ones. */
function patch(snapshots: readonly LoadedSnapshot[], policies: ReadonlyMap<string, unknown>): LoadedSnapshot[] {
  return snapshots.map((s) => {
    const keys = s.document.keys ?? {};
    const touched = Object.keys(keys).filter((arn) => policies.has(arn) && keys[arn]?.policy !== null && keys[arn]?.policy !== undefined);
    if (touched.length === 0) return s;
    const document = {
      ...s.document,
      keys: Object.fromEntries(
        Object.entries(keys).map(([arn, entry]) => [arn, touched.includes(arn) ? { ...entry, policy: policies.get(arn) } : entry]),
      ),
    };
    return inMemorySnapshot(document, s.path);
  });
}

/** The findings as `check` gives them: a policy verdict on a trail a template leaves unnamed is unknown there too. */
function evaluate(snapshots: readonly LoadedSnapshot[], rules: readonly CompiledRule[]): Finding[] {
  return [...evaluateRules(rules, new SnapshotSet([...snapshots]))].map(onUnsettledResource);
}

const RANK: Readonly<Record<Status, number>> = { pass: 0, skip: 0, waived: 0, unknown: 1, fail: 2, error: 2 };

function ref(before: Finding, after: Finding): FindingRef {
  return { ruleId: before.ruleId, resource: before.resource.id, before: before.status, after: after.status };
}

function byId(findings: readonly Finding[]): Map<string, Finding> {
  return new Map(findings.map((f) => [`${f.ruleId}\u0000${f.resource.id}`, f]));
}

/** Findings whose status got worse (pass or skip to unknown, fail or error; unknown to fail or error), with the keys they name. */
function worseFindings(before: readonly Finding[], after: readonly Finding[]): (FindingRef & { readonly keys: readonly string[] })[] {
  const old = byId(before);
  return after.flatMap((f) => {
    const was = old.get(`${f.ruleId}\u0000${f.resource.id}`);
    if (was === undefined || RANK[f.status] <= RANK[was.status]) return [];
    const keys = [
      ...new Set([
        ...(f.evidence.assertions ?? []).flatMap((a) => a.document ?? []),
        ...(was.evidence.assertions ?? []).flatMap((a) => a.document ?? []),
      ]),
    ];
    return [
      { ...ref(was, f), keys: f.resource.id.startsWith('arn:') && f.resource.id.includes(':kms:') ? [...keys, f.resource.id] : keys },
    ];
  });
}

/** Of a key's failing findings, those that pass or are skipped afterwards. */
function resolved(before: readonly Finding[], after: ReadonlyMap<string, Finding>): FindingRef[] {
  return before.flatMap((f) => {
    const then = after.get(`${f.ruleId}\u0000${f.resource.id}`);
    return then === undefined || RANK[then.status] !== 0 ? [] : [ref(f, then)];
  });
}

/** Per key, per action: who the guard pack found the policy grants it to. */
function grantees(findings: readonly Finding[]): Map<string, Map<string, readonly Grantee[]>> {
  const out = new Map<string, Map<string, readonly Grantee[]>>();
  for (const f of findings) {
    const actions = new Map<string, readonly Grantee[]>();
    for (const a of f.evidence.assertions ?? []) {
      const details = a.details as { action?: string; grantees?: readonly Grantee[] } | undefined;
      if (details?.action !== undefined && details.grantees !== undefined) actions.set(details.action, details.grantees);
    }
    out.set(f.resource.id, actions);
  }
  return out;
}

/** What the guards find wrong with a key's new policy: a new grantee, a lost administrator, no administrator in its account. */
function guardProblems(
  key: KeyToFix,
  before: ReadonlyMap<string, readonly Grantee[]> | undefined,
  after: ReadonlyMap<string, readonly Grantee[]> | undefined,
): string[] {
  if (after === undefined) return ['the new policy could not be evaluated'];
  const problems: string[] = [];
  const trusted = new Set([key.account, ...key.trails.map((t) => parseArn(t)?.account ?? '')]);
  for (const [action, list] of after) {
    const had = new Set((before?.get(action) ?? []).map((g) => g.who));
    for (const g of list) {
      if (had.has(g.who)) continue;
      const allowed =
        g.kind === 'service' ? g.service === CLOUDTRAIL : g.kind !== 'anyone' && g.account !== undefined && trusted.has(g.account);
      if (!allowed) problems.push(`it would grant ${action} to ${g.who}, which the policy did not before`);
    }
  }
  // Administrators are accounts and principals (a service acts for the trails it serves, not as an administrator).
  for (const action of ADMIN_ACTIONS) {
    const now = new Map((after.get(action) ?? []).map((g) => [g.who, g.status]));
    for (const g of before?.get(action) ?? []) {
      if (g.kind === 'service') continue;
      const status = now.get(g.who);
      if (status === undefined || (g.status === 'granted' && status !== 'granted'))
        problems.push(`${g.who} could call ${action} on the key and no longer could`);
    }
  }
  // KMS's lockout safety check: someone in the key's account must still be able to change the policy (granted, or
  // granted depending on facts nobody recorded, as it was before).
  const admins = (list: ReadonlyMap<string, readonly Grantee[]> | undefined) =>
    (list?.get('kms:PutKeyPolicy') ?? []).filter((g) => g.kind !== 'service' && g.account === key.account);
  if (key.replaces === undefined && admins(before).length === 0)
    problems.push(
      `no principal of account ${key.account} can change the key's policy now (a Deny or the lack of an Allow blocks kms:PutKeyPolicy), so no new policy can be written: fix that by hand first`,
    );
  else if (admins(after).length === 0)
    problems.push(
      `no principal of account ${key.account} could change the key's policy afterwards (KMS's policy lockout safety check refuses that)`,
    );
  return problems;
}

function sizeProblem(policy: unknown): string[] {
  const length = JSON.stringify(policy).length;
  return length > KEY_POLICY_LIMIT ? [`the new policy is ${length} characters, over KMS's limit of ${KEY_POLICY_LIMIT}`] : [];
}
