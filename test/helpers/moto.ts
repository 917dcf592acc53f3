import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { CloudTrailClient, CreateTrailCommand } from '@aws-sdk/client-cloudtrail';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, it } from 'vitest';

/** moto's server, started by the tests on a free loopback port and stopped after them. */
export interface Moto {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export const MOTO_REQUIRED = process.env.CI === 'true';
export const MOTO_INSTALL = "pip install 'moto[server]==5.2.5'";

/** Whether moto's server can be run here. */
export function motoAvailable(): boolean {
  return spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts `moto_server` on 127.0.0.1 and waits (at most 20 s) until it answers. */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      throw new Error(`moto_server did not start on ${endpoint}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/** An SDK client's configuration for moto in one Region, with the static test credentials moto accepts. */
export function motoClientConfig(endpoint: string, region = 'us-east-1') {
  return { region, endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
}

/** The environment a CLI run against moto gets: static test credentials, moto as every endpoint, no IMDS. */
export function motoEnv(endpoint: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

/**
 * The account the collector fault tests start from: a KMS key, the bucket `logs`, and trail `main` in us-east-1
 * logging there with that key. Returns the key's ARN.
 */
export async function seedLoggedTrail(endpoint: string): Promise<string> {
  const config = motoClientConfig(endpoint, 'us-east-1');
  const keyArn = (await new KMSClient(config).send(new CreateKeyCommand({ Description: 'logs' }))).KeyMetadata?.Arn as string;
  await new S3Client({ ...config, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'logs' }));
  await new CloudTrailClient(config).send(new CreateTrailCommand({ Name: 'main', S3BucketName: 'logs', KmsKeyId: keyArn }));
  return keyArn;
}

/**
 * Whether a moto suite can run. Without moto_server it is skipped with a warning naming the install command, except
 * under CI=true, where a failing test stands in for it: CI never passes by skipping.
 */
export function motoSuite(suite: string): boolean {
  const available = motoAvailable();
  if (!available && !MOTO_REQUIRED) console.warn(`skipping the ${suite}: moto_server is not installed (${MOTO_INSTALL})`);
  if (!available && MOTO_REQUIRED) {
    describe(`${suite} under CI=true`, () => {
      it('needs moto_server', () => {
        throw new Error(`moto_server is required when CI=true: ${MOTO_INSTALL}`);
      });
    });
  }
  return available;
}
