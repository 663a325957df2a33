import * as z from 'zod';
import { CODE_LIFETIME_MINUTES, CODE_PATTERN, MAX_WRONG_CODE_TRIES } from '#core/users/verification';
import { UNVERIFIED_GRACE_HOURS } from '#core/users/registration';
import { MeJson, RegisteredJson, RoleJson, TokensJson, UserJson } from '#core/users/shape';
import { DEMO_SIGN_IN } from '#platform/demo-accounts';
import { defineRoute } from '#platform/route';

const Email = z
  .email({ message: 'must be an email address' })
  .max(254)
  .transform((email) => email.toLowerCase());

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

const AgencyInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    phone: z
      .string()
      .trim()
      .min(3)
      .max(40)
      .regex(/^[0-9+()\- ]+$/, 'must be a phone number'),
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
    role: RoleJson,
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

const VerificationCode = z.string().regex(CODE_PATTERN, 'must be the 6 digits sent to you');

const VerifyBody = z.strictObject({ email: Email, code: VerificationCode }).meta({ id: 'VerifyEmailRequest' });
const ResendBody = z.strictObject({ email: Email }).meta({ id: 'ResendVerificationRequest' });

export const authRoutes = {
  register: defineRoute({
    method: 'POST',
    path: '/auth/register/',
    throttle: 'auth',
    handler: 'api/auth/register',
    operationId: 'registerAccount',
    access: 'public',
    database: 'write',
    uses: ['cognito-admin'],
    summary: 'Create a customer or agency admin account',
    description:
      'An agency admin registers with their agency (`agency` is required for `agency_admin`, refused for `customer`). ' +
      'A 6-digit code is e-mailed to the address: until it is sent back to POST /auth/verify/, the account can sign in but not book or list cars. ' +
      'Passwords need 8+ characters with a lowercase and an uppercase letter and a digit.',
    tags: ['Auth'],
    body: RegisterBody,
    responses: {
      201: { description: 'The account (and agency) was created, unverified: a 6-digit code is e-mailed to the address', schema: RegisteredJson },
      409: {
        description:
          `A verified account has this email, or an unverified one registered less than ${UNVERIFIED_GRACE_HOURS} hours ago ` +
          '(an older unverified one gives way); or an agency has this name (ignoring case and blanks) or phone number',
      },
    },
  }),
  verify: defineRoute({
    method: 'POST',
    path: '/auth/verify/',
    handler: 'api/auth/verify',
    operationId: 'verifyEmail',
    access: 'public',
    database: 'write',
    uses: ['cognito-email-verified'],
    summary: 'Prove an e-mail address with the 6-digit code sent to it',
    tags: ['Auth'],
    body: VerifyBody,
    responses: {
      200: { description: 'The address is verified: the account can now book or list cars', schema: z.object({ user: UserJson }).meta({ id: 'Verified' }) },
      400: {
        description:
          `The code is wrong or expired (valid ${CODE_LIFETIME_MINUTES} minutes, dead after ${MAX_WRONG_CODE_TRIES} wrong tries or when a newer one is sent); ` +
          'the same answer for an unknown address',
      },
    },
  }),
  resendVerification: defineRoute({
    method: 'POST',
    path: '/auth/verify/resend/',
    handler: 'api/auth/resend-verification',
    operationId: 'resendEmailCode',
    access: 'public',
    database: 'write',
    summary: 'Send a new verification code to an unverified address',
    tags: ['Auth'],
    body: ResendBody,
    responses: {
      202: {
        description:
          'Accepted, whether or not the address is registered and unverified (no account discovery); ' +
          'at most one code a minute and a few a day are sent, further requests change nothing',
      },
    },
  }),
  token: defineRoute({
    method: 'POST',
    path: '/auth/token/',
    throttle: 'auth',
    handler: 'api/auth/token',
    operationId: 'signIn',
    access: 'public',
    database: false,
    summary: 'Sign in with email and password',
    description:
      'Answers Cognito tokens: send the `access_token` as `Authorization: Bearer <token>` (in the docs page: Authorize). ' +
      `Locally the demo accounts are ${DEMO_SIGN_IN.traveller} and ${DEMO_SIGN_IN.agencyAdmin}, password ${DEMO_SIGN_IN.password}.`,
    tags: ['Auth'],
    body: z.strictObject({ email: Email, password: z.string().min(1).max(256) }).meta({ id: 'TokenRequest' }),
    responses: {
      200: { description: 'Cognito tokens', schema: TokensJson },
      401: { description: 'Bad credentials (the same answer for an unknown email and a wrong password)' },
    },
  }),
  refresh: defineRoute({
    method: 'POST',
    path: '/auth/token/refresh/',
    throttle: 'auth',
    handler: 'api/auth/refresh',
    operationId: 'refreshTokens',
    access: 'public',
    database: false,
    summary: 'New access and id tokens from a refresh token',
    tags: ['Auth'],
    body: z.strictObject({ refresh_token: z.string().min(1).max(8192) }).meta({ id: 'RefreshRequest' }),
    responses: {
      200: { description: 'Fresh tokens', schema: TokensJson.omit({ refresh_token: true }).meta({ id: 'RefreshedTokens' }) },
      401: { description: 'The refresh token is invalid or expired' },
    },
  }),
  me: defineRoute({
    method: 'GET',
    path: '/me/',
    handler: 'api/auth/get-me',
    access: 'signed-in',
    database: 'read',
    summary: 'The signed-in user',
    tags: ['Auth'],
    responses: { 200: { description: 'The user, with their agency for an agency admin', schema: MeJson } },
  }),
};
