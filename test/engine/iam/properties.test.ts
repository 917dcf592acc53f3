import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy, makeRequest } from '../../../engine/iam/evaluate-policy.js';
import { parsePolicy } from '../../../engine/iam/parse-policy.js';
import type { ContextValue, IamRequest, RequestPrincipal } from '../../../engine/iam/types.js';

/**
 * Properties of the IAM evaluator over random policies and requests drawn from a small universe (two accounts, a few
 * principals, actions, resources and condition keys), so that statements match requests often. Seeded: a failure
 * prints the counterexample and reproduces with the same seed.
 */
const RUNS = { seed: 20261129, numRuns: 600 };

const A = '111122223333';
const B = '444455556666';
const KEY = `arn:aws:kms:us-east-1:${A}:key/k1`;
const TRAIL = `arn:aws:cloudtrail:us-east-1:${A}:trail/main`;

type Json = string | boolean | Json[] | { [key: string]: Json };
type StatementDoc = Record<string, Json>;

const principals: RequestPrincipal[] = [
  { kind: 'service', name: 'cloudtrail.amazonaws.com' },
  { kind: 'aws', arn: `arn:aws:iam::${A}:root`, account: A },
  { kind: 'aws', arn: `arn:aws:iam::${A}:role/Reader`, account: A },
  { kind: 'aws', arn: `arn:aws:iam::${B}:role/Reader`, account: B },
];
const actions = ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey', 'kms:Encrypt'];
const actionPatterns = ['kms:*', 'kms:Decrypt', 'kms:Describe*', 'kms:Generate*', '*', 'kms:Encrypt', 'kms:?ecrypt', 'kms:ReEncrypt*'];
const principalElements: Json[] = [
  '*',
  { AWS: '*' },
  { AWS: A },
  { AWS: `arn:aws:iam::${A}:root` },
  { AWS: `arn:aws:iam::${A}:role/Reader` },
  { AWS: B },
  { Service: 'cloudtrail.amazonaws.com' },
];
const resources = ['*', KEY, `arn:aws:kms:us-east-1:${A}:key/other`, `arn:aws:kms:*:${A}:key/*`];
const conditionKeys = [
  'kms:CallerAccount',
  'aws:SourceAccount',
  'aws:SourceArn',
  'kms:EncryptionContext:aws:cloudtrail:arn',
  'aws:PrincipalIsAWSService',
];
const conditionOperators = [
  'StringEquals',
  'StringNotEquals',
  'StringLike',
  'StringNotLike',
  'ArnLike',
  'ArnEquals',
  'Bool',
  'Null',
  'StringEqualsIfExists',
  'ForAnyValue:StringEquals',
  'ForAllValues:StringLike',
];
const values = [A, B, TRAIL, `arn:aws:cloudtrail:*:${A}:trail/*`, 'arn:aws:cloudtrail:*:*:trail/*', 'true', 'false'];

const oneOrMany = <T extends Json>(items: readonly T[]) =>
  fc.oneof(fc.constantFrom(...items), fc.uniqueArray(fc.constantFrom(...items), { minLength: 1, maxLength: 3 }));

const condition = fc
  .array(fc.tuple(fc.constantFrom(...conditionOperators), fc.constantFrom(...conditionKeys), oneOrMany(values)), { maxLength: 2 })
  .map((clauses) => {
    const out: Record<string, Record<string, Json>> = {};
    for (const [op, key, value] of clauses) out[op] = { ...(out[op] ?? {}), [key]: value };
    return out;
  });

const statement: fc.Arbitrary<StatementDoc> = fc
  .record({
    Effect: fc.constantFrom('Allow', 'Deny'),
    Principal: fc.constantFrom(...principalElements),
    Action: oneOrMany(actionPatterns),
    Resource: fc.option(oneOrMany(resources), { nil: undefined }),
    Condition: condition,
  })
  .map(({ Resource, Condition, ...rest }) => ({
    ...rest,
    ...(Resource === undefined ? {} : { Resource }),
    ...(Object.keys(Condition).length === 0 ? {} : { Condition }),
  }));

const statements = fc.array(statement, { minLength: 1, maxLength: 5 });

const request = fc
  .record({
    principal: fc.constantFrom(...principals),
    action: fc.constantFrom(...actions),
    resource: fc.constantFrom(KEY, `arn:aws:kms:us-east-1:${A}:key/other`),
    context: fc.dictionary(fc.constantFrom(...conditionKeys), fc.constantFrom(...values), { maxKeys: 4 }),
  })
  .map(({ principal, action, resource, context }) => makeRequest(principal, action, resource, context as Record<string, ContextValue>));

function decide(docs: readonly StatementDoc[], req: IamRequest): string {
  return evaluatePolicy(parsePolicy({ Version: '2012-10-17', Statement: docs }), req).decision;
}

/** Every string in a value turned into a one-element array (objects' values only, never keys). */
function wrapStrings(value: Json): Json {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value;
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrapStrings(v)]));
  return value;
}

const flipCase = (text: string, upper: boolean) => (upper ? text.toUpperCase() : text.toLowerCase());

describe('IAM evaluator properties (fast-check)', () => {
  it('statement order never changes a verdict', () => {
    fc.assert(
      fc.property(statements, request, fc.array(fc.nat()), (docs, req, order) => {
        const shuffled = docs
          .map((doc, i) => ({ doc, rank: order[i] ?? i }))
          .sort((a, b) => a.rank - b.rank)
          .map((x) => x.doc);
        expect(decide(shuffled, req)).toBe(decide(docs, req));
      }),
      RUNS,
    );
  });

  it('a string and a one-element array are equivalent (Principal, Action, Resource, condition values)', () => {
    fc.assert(
      fc.property(statements, request, (docs, req) => {
        const wrapped = docs.map((doc) => ({
          ...doc,
          Action: wrapStrings(doc.Action as Json),
          ...(doc.Resource === undefined ? {} : { Resource: wrapStrings(doc.Resource) }),
          ...(typeof doc.Principal === 'object' ? { Principal: wrapStrings(doc.Principal) } : {}),
          ...(doc.Condition === undefined ? {} : { Condition: wrapStrings(doc.Condition) }),
        }));
        expect(decide(wrapped, req)).toBe(decide(docs, req));
      }),
      RUNS,
    );
  });

  it('the case of action names and condition keys never matters, in the policy or the request', () => {
    fc.assert(
      fc.property(statements, request, fc.boolean(), fc.boolean(), (docs, req, upperPolicy, upperRequest) => {
        const recased = docs.map((doc) => {
          const action = doc.Action as Json;
          const condition = doc.Condition as Record<string, Record<string, Json>> | undefined;
          return {
            ...doc,
            Action: typeof action === 'string' ? flipCase(action, upperPolicy) : (action as string[]).map((a) => flipCase(a, upperPolicy)),
            ...(condition === undefined
              ? {}
              : {
                  Condition: Object.fromEntries(
                    Object.entries(condition).map(([op, clause]) => [
                      op,
                      Object.fromEntries(Object.entries(clause).map(([k, v]) => [flipCase(k, !upperPolicy), v])),
                    ]),
                  ),
                }),
          };
        });
        const context = new Map([...req.context].map(([k, v]) => [flipCase(k, upperRequest), v]));
        const recasedRequest = makeRequest(req.principal, flipCase(req.action, upperRequest), req.resource, context);
        expect(decide(recased, recasedRequest)).toBe(decide(docs, req));
      }),
      RUNS,
    );
  });

  it('the case of condition values does matter: StringEquals on a value is not met by the value in another case', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...conditionKeys.filter((k) => k !== 'aws:PrincipalIsAWSService')),
        fc.string({ minLength: 1 }),
        (key, text) => {
          const value = `Value-${text}`;
          const docs = [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { StringEquals: { [key]: value } } }];
          const ask = (v: string) => decide(docs, makeRequest(principals[1] as RequestPrincipal, 'kms:Decrypt', KEY, { [key]: v }));
          expect(ask(value)).toBe('allowed');
          expect(ask(value.toUpperCase())).toBe('not-allowed');
          expect(ask(value.toLowerCase())).toBe('not-allowed');
        },
      ),
      RUNS,
    );
  });

  it('adding a Deny never turns a denial into a grant, nor a denied request into anything else', () => {
    fc.assert(
      fc.property(statements, statement, request, fc.nat(), (docs, extra, req, at) => {
        const deny = { ...extra, Effect: 'Deny' };
        const withDeny = [...docs];
        withDeny.splice(at % (docs.length + 1), 0, deny);
        const before = decide(docs, req);
        const after = decide(withDeny, req);
        if (before !== 'allowed') expect(after).not.toBe('allowed');
        if (before === 'denied') expect(after).toBe('denied');
      }),
      RUNS,
    );
  });

  it('an applicable Deny always wins, wherever it stands and whatever else the policy allows', () => {
    fc.assert(
      fc.property(statements, request, (docs, req) => {
        const applicableDeny = docs.some((doc) => doc.Effect === 'Deny' && decide([doc], req) === 'denied');
        expect(decide(docs, req) === 'denied').toBe(applicableDeny);
      }),
      RUNS,
    );
  });

  it('adding a condition to an Allow statement never widens what it grants', () => {
    fc.assert(
      fc.property(statements, condition, request, fc.nat(), (docs, extra, req, which) => {
        const i = which % docs.length;
        const target = docs[i] as StatementDoc;
        const merged: Record<string, Record<string, Json>> = { ...((target.Condition as Record<string, Record<string, Json>>) ?? {}) };
        // Conditions are ANDed: a clause for an operator already there joins it (its keys are ANDed too).
        for (const [op, clause] of Object.entries(extra)) merged[op] = { ...(merged[op] ?? {}), ...clause };
        // Values of one key are ORed: a key the statement already tests is left out, so the clause only adds.
        const existing = (target.Condition as Record<string, Record<string, Json>> | undefined) ?? {};
        fc.pre(Object.entries(extra).every(([op, clause]) => Object.keys(clause).every((k) => !Object.hasOwn(existing[op] ?? {}, k))));
        const narrowed = docs.map((doc, j) => (j === i ? { ...doc, Condition: merged } : doc));
        const before = decide(docs, req);
        const after = decide(narrowed, req);
        if (target.Effect === 'Allow' && before !== 'allowed') expect(after).not.toBe('allowed');
        if (target.Effect === 'Allow' && before === 'not-allowed') expect(after).toBe('not-allowed');
      }),
      RUNS,
    );
  });

  it('removing the Resource element never grants: a statement without Resource applies to nothing', () => {
    fc.assert(
      fc.property(statements, request, fc.nat(), (docs, req, which) => {
        const i = which % docs.length;
        const stripped = docs.map((doc, j) => {
          if (j !== i) return doc;
          const { Resource: _dropped, ...rest } = doc;
          return rest;
        });
        const before = decide(docs, req);
        const after = decide(stripped, req);
        // Taking Resource from an Allow can only take grants away; the statement alone, Allow or Deny, grants nothing.
        if ((docs[i] as StatementDoc).Effect === 'Allow' && before !== 'allowed') expect(after).not.toBe('allowed');
        const alone = decide([stripped[i] as StatementDoc], req);
        expect(alone).toBe('not-allowed');
      }),
      RUNS,
    );
  });
});
