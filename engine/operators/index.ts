import { contains, containsAll, containsAny } from './contains.js';
import { equals, notEquals } from './equals.js';
import { absent, exists } from './exists.js';
import { endsWith, glob, startsWith } from './glob.js';
import { iamActionMatches } from './iam-action-matches.js';
import { iamGrantees } from './iam-grantees.js';
import { iamPolicy } from './iam-policy.js';
import { isIn, notIn } from './in.js';
import { length, type } from './length.js';
import { regex } from './regex.js';
import type { OperatorDefinition } from './types.js';

/** Every operator a rule may use, by name: the whole catalogue, documented in docs/rules.md. */
export const OPERATORS: ReadonlyMap<string, OperatorDefinition> = new Map(
  [
    exists,
    absent,
    equals,
    notEquals,
    isIn,
    notIn,
    contains,
    containsAny,
    containsAll,
    regex,
    glob,
    startsWith,
    endsWith,
    length,
    type,
    iamActionMatches,
    iamPolicy,
    iamGrantees,
  ].map((op) => [op.name, op]),
);

export type { OperatorDefinition, OperatorResult } from './types.js';
