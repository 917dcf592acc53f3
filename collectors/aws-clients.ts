import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { EC2Client } from '@aws-sdk/client-ec2';
import { KMSClient } from '@aws-sdk/client-kms';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

/** The SDK clients a collection uses, one per Region, made on demand and reused. Tests inject their own. */
export interface AwsClients {
  sts(region: string): STSClient;
  ec2(region: string): EC2Client;
  cloudtrail(region: string): CloudTrailClient;
  kms(region: string): KMSClient;
  organizations(region: string): OrganizationsClient;
}

export interface ClientOptions {
  /** Credentials or a provider; the SDK's default chain (env, profile, SSO, instance role) when absent. */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** A named profile for the default chain. */
  readonly profile?: string;
  readonly maxAttempts?: number;
  /** How long to wait for one response before the attempt fails (and is retried). */
  readonly requestTimeoutMs?: number;
}

/**
 * The longest one call may take, retries included: every attempt's timeout plus room for the back-off between them.
 * The request timeout only notices silence, so an answer trickling in a byte a second would otherwise hold the call
 * (and the collection) for ever.
 */
export function callDeadlineMs(options: ClientOptions): number {
  const attempts = options.maxAttempts ?? 6;
  return attempts * ((options.requestTimeoutMs ?? 30_000) + 2_000);
}

interface Sendable {
  send(command: unknown, options?: unknown): Promise<unknown>;
}

/** The client with every call aborted once the deadline passes (a call given its own abort signal keeps it). */
function withDeadline<T extends Sendable>(client: T, deadlineMs: number): T {
  const send = client.send.bind(client) as (command: unknown, options?: unknown) => Promise<unknown>;
  client.send = (async (command: unknown, options?: { abortSignal?: unknown }) => {
    const deadline = AbortSignal.timeout(deadlineMs);
    try {
      return await send(command, { abortSignal: deadline, ...(options ?? {}) });
    } catch (error) {
      // Aborting a response mid-body surfaces as whatever the socket says (ECONNRESET): say what really happened.
      if (!deadline.aborted) throw error;
      throw Object.assign(
        new Error(`no whole answer came within the call deadline of ${deadlineMs / 1000} s (--max-attempts × (--request-timeout + 2 s))`, {
          cause: error,
        }),
        { name: 'CallDeadline' },
      );
    }
  }) as T['send'];
  return client;
}

/**
 * Clients with the adaptive retry mode (client-side rate limiting on throttling), bounded attempts and timeouts, so
 * a slow or unreachable Region fails as data instead of hanging the collection. Endpoints follow the SDK's own
 * configuration (`AWS_ENDPOINT_URL`, which the integration tests point at moto).
 */
export function createAwsClients(options: ClientOptions = {}): AwsClients {
  const config = (region: string) => ({
    region,
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? 6,
    // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes and keeps waiting: an
    // endpoint that never answers would hang the collection (found by the fault-injection tests).
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      socketTimeout: options.requestTimeoutMs ?? 30_000,
      throwOnRequestTimeout: true,
    },
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  });
  const deadline = callDeadlineMs(options);
  const cached = <T extends Sendable>(make: (region: string) => T) => {
    const clients = new Map<string, T>();
    return (region: string) => {
      let client = clients.get(region);
      if (client === undefined) {
        client = withDeadline(make(region), deadline);
        clients.set(region, client);
      }
      return client;
    };
  };
  return {
    sts: cached((region) => new STSClient(config(region))),
    ec2: cached((region) => new EC2Client(config(region))),
    cloudtrail: cached((region) => new CloudTrailClient(config(region))),
    kms: cached((region) => new KMSClient(config(region))),
    organizations: cached((region) => new OrganizationsClient(config(region))),
  };
}
