import * as z from 'zod';
import { defineRoute } from '#platform/route';

const Email = z.email({ message: 'must be an email address' }).max(254).transform((email) => email.toLowerCase());

/**
 * The user pool's password policy (lib/auth.ts), checked here first so the 400 names the rule
 * that failed and is the same against AWS and cognito-local (which enforces no policy at all).
 * The last rule is Cognito's own input pattern for passwords (`^[\S]+.*[\S]+$`): AWS refuses
 * a password with a leading or trailing blank (or a line break) as InvalidParameterException.
 */
const Password = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 256 characters')
  .regex(/[a-z]/, 'must contain a lowercase letter')
  .regex(/[A-Z]/, 'must contain an uppercase letter')
  .regex(/[0-9]/, 'must contain a digit')
  .regex(/^\S(.*\S)?$/, 'must not begin or end with a blank, nor contain a line break');

const Role = z.enum(['customer', 'agency_admin']);

const AgencyInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    phone: z.string().trim().min(3).max(40).regex(/^[0-9+()\- ]+$/, 'must be a phone number'),
    address: z.string().trim().min(1).max(500),
    lat: z.number().min(-90).max(90),
    lng: z.number().min(-180).max(180),
  })
  .meta({ id: 'AgencyInput' });

export const RegisterBody = z
  .strictObject({
    email: Email,
    password: Password,
    full_name: z.string().trim().min(1).max(200),
    role: Role,
    agency: AgencyInput.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.role === 'agency_admin' && !body.agency) {
      ctx.addIssue({ code: 'custom', path: ['agency'], message: 'is required for an agency_admin' });
    }
    if (body.role === 'customer' && body.agency) {
      ctx.addIssue({ code: 'custom', path: ['agency'], message: 'is only for an agency_admin' });
    }
  })
  .meta({ id: 'RegisterRequest' });

const UserOut = z.object({ id: z.uuid(), email: z.string(), full_name: z.string(), role: Role });
const AgencyRef = z.object({ id: z.uuid(), name: z.string() });

const Registered = z.object({ user: UserOut, agency: AgencyRef.optional() }).meta({ id: 'Registered' });

const TokenPair = z
  .object({
    access_token: z.string(),
    refresh_token: z.string(),
    id_token: z.string(),
    expires_in: z.number().int(),
    token_type: z.literal('Bearer'),
  })
  .meta({ id: 'Tokens' });

const Me = UserOut.extend({ agency: AgencyRef.optional() }).meta({ id: 'Me' });

export const authRoutes = {
  register: defineRoute({
    method: 'POST',
    path: '/auth/register/',
    handler: 'api/auth/register',
    access: 'public',
    database: true,
    uses: ['cognito-admin'],
    summary: 'Create a customer or agency admin account (with its agency)',
    tags: ['Auth'],
    body: RegisterBody,
    responses: {
      201: { description: 'The account (and agency) was created', schema: Registered },
      409: { description: 'An account with this email already exists' },
    },
  }),
  token: defineRoute({
    method: 'POST',
    path: '/auth/token/',
    handler: 'api/auth/token',
    access: 'public',
    database: false,
    summary: 'Sign in with email and password',
    tags: ['Auth'],
    body: z.strictObject({ email: Email, password: z.string().min(1).max(256) }).meta({ id: 'TokenRequest' }),
    responses: {
      200: { description: 'Cognito tokens', schema: TokenPair },
      401: { description: 'Bad credentials (the same answer for an unknown email and a wrong password)' },
    },
  }),
  refresh: defineRoute({
    method: 'POST',
    path: '/auth/token/refresh/',
    handler: 'api/auth/refresh',
    access: 'public',
    database: false,
    summary: 'New access and id tokens from a refresh token',
    tags: ['Auth'],
    body: z.strictObject({ refresh_token: z.string().min(1).max(8192) }).meta({ id: 'RefreshRequest' }),
    responses: {
      200: { description: 'Fresh tokens', schema: TokenPair.omit({ refresh_token: true }) },
      401: { description: 'The refresh token is invalid or expired' },
    },
  }),
  me: defineRoute({
    method: 'GET',
    path: '/me/',
    handler: 'api/auth/get-me',
    access: 'signed-in',
    database: true,
    summary: 'The signed-in user',
    tags: ['Auth'],
    responses: { 200: { description: 'The user, with their agency for an agency admin', schema: Me } },
  }),
};
