import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { waitForPort } from './ports';
import { startStripeStandin } from './stripe-standin';

const require = createRequire(import.meta.url);

/**
 * Credentials the emulators accept; the SDK insists on having some. s3rver knows only its
 * built-in key pair (any other access key id is a 403 InvalidAccessKeyId); the others take any.
 */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const IMAGES_BUCKET = 'phuket-rental-images';
const POOL_NAME = 'phuket-rental';
const CLIENT_NAME = 'phuket-rental-api';
export const GROUPS = ['customers', 'agency_admins'] as const;

export interface Emulator {
  endpoint: string;
  stop: () => Promise<void>;
}

/**
 * cognito-local keeps its state in ./.cognito of its working directory and binds to PORT/HOST,
 * so it runs as a child process in its own folder. Its tokens' issuer is http://HOST:PORT/<pool>.
 */
export async function startCognito(options: { dataDir: string; port: number }): Promise<Emulator> {
  mkdirSync(options.dataDir, { recursive: true });
  const entry = require.resolve('cognito-local/lib/bin/start.js');
  const child: ChildProcess = spawn(process.execPath, [entry], {
    cwd: options.dataDir,
    env: { ...process.env, PORT: String(options.port), HOST: '127.0.0.1', DEBUG: '', AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(options.port);
  return {
    endpoint: `http://127.0.0.1:${options.port}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

export interface CognitoPool {
  userPoolId: string;
  clientId: string;
}

/** Creates the user pool, app client and role groups unless they exist (idempotent). */
export async function ensureCognitoPool(endpoint: string): Promise<CognitoPool> {
  const client = new CognitoIdentityProviderClient({ endpoint, region: 'local', credentials: EMULATOR_CREDENTIALS });
  const pools = await client.send(new ListUserPoolsCommand({ MaxResults: 60 }));
  let userPoolId = pools.UserPools?.find((pool) => pool.Name === POOL_NAME)?.Id;
  if (!userPoolId) {
    const created = await client.send(
      new CreateUserPoolCommand({
        PoolName: POOL_NAME,
        UsernameAttributes: ['email'],
        Policies: {
          PasswordPolicy: { MinimumLength: 8, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: false },
        },
        // As in lib/auth.ts (selfSignUpEnabled: false). cognito-local 5.3 stores this but does not
        // enforce it, nor the password policy: its SignUp still works, so nothing may rely on it.
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      }),
    );
    userPoolId = created.UserPool!.Id!;
  }
  const clients = await client.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }));
  let clientId = clients.UserPoolClients?.find((candidate) => candidate.ClientName === CLIENT_NAME)?.ClientId;
  if (!clientId) {
    const created = await client.send(
      new CreateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientName: CLIENT_NAME,
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      }),
    );
    clientId = created.UserPoolClient!.ClientId!;
  }
  for (const group of GROUPS) {
    try {
      await client.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: group }));
    } catch (error) {
      if ((error as { name?: string }).name !== 'GroupExistsException') throw error;
    }
  }
  client.destroy();
  return { userPoolId, clientId };
}

/** s3rver, in process. Browser PUTs to presigned URLs need the bucket's CORS rule. */
export async function startS3(options: { dataDir: string; port: number }): Promise<Emulator> {
  mkdirSync(options.dataDir, { recursive: true });
  const { default: S3rver } = (await import('s3rver')) as unknown as { default: new (options: object) => S3rverInstance };
  const cors = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port,
    directory: path.resolve(options.dataDir),
    silent: true,
    configureBuckets: [{ name: IMAGES_BUCKET, configs: [cors] }],
  });
  await server.run();
  return { endpoint: `http://127.0.0.1:${options.port}`, stop: () => server.close() };
}

interface S3rverInstance {
  run(): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Our Stripe stand-in (dev/stripe-standin.ts), in process: the real SDK talks to it over HTTP.
 * Its intents are kept in dataDir across restarts, like the bookings that name them.
 */
export async function startStripe(options: { dataDir: string; port: number }): Promise<Emulator> {
  const standin = await startStripeStandin({ port: options.port, stateFile: path.join(options.dataDir, 'state.json') });
  return { endpoint: standin.url, stop: standin.stop };
}

/**
 * aws-ses-v2-local, as a child process (dev/ses-emulator.cjs) that keeps the newest
 * `keep` messages: out of the API's process, so mail sent under load does not grow it. The
 * SESv2 SDK sends to it; GET /store lists the mail it keeps as JSON.
 */
export async function startSes(options: { port: number; keep?: number }): Promise<Emulator> {
  const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ses-emulator.cjs');
  const child: ChildProcess = spawn(process.execPath, [entry], {
    env: { ...process.env, PORT: String(options.port), ...(options.keep ? { SES_EMULATOR_KEEP: String(options.keep) } : {}) },
    // stdin is a pipe only so that the emulator sees this process end, however it ends.
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(options.port);
  return {
    endpoint: `http://127.0.0.1:${options.port}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
