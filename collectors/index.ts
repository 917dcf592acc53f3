/** The collection half of trailguard: AWS SDK v3 calls into the snapshot format. Imports nothing from the engine. */
export { type ApiError, apiError, CredentialsError } from './api-error.js';
export { applyKeyPolicies, type PolicyWrite, type WriteOutcome } from './apply-key-policies.js';
export { type AwsClients, type ClientOptions, createAwsClients } from './aws-clients.js';
export { type CollectOptions, collectAccount, identify } from './collect-account.js';
export { type AccountResult, collectOrganisation, type OrganisationOptions } from './collect-organisation.js';
export type { CollectedKey, CollectedSnapshot, ProgressEvent } from './snapshot.js';
