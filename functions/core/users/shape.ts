import * as z from 'zod';
import { Instant } from '../json';
import type { Role } from './table';

/** Accounts, tokens and agency phones as the API shows them. */

export const RoleJson = z.enum(['customer', 'agency_admin'] as const satisfies readonly Role[]);

export const UserJson = z.object({ id: z.uuid(), email: z.email(), full_name: z.string(), role: RoleJson }).meta({ id: 'User' });
export type UserJson = z.infer<typeof UserJson>;

const AgencyRefJson = z.object({ id: z.uuid(), name: z.string() }).meta({ id: 'AgencyRef' });

/** A new account (and the agency of an agency admin). */
export const RegisteredJson = z.object({ user: UserJson, agency: AgencyRefJson.optional() }).meta({ id: 'Registered' });
export type RegisteredJson = z.infer<typeof RegisteredJson>;

/** The signed-in user, as GET /auth/me/ shows them. */
export const MeJson = UserJson.extend({
  email_verified: z
    .boolean()
    .meta({ description: 'false until the address is proved with the code sent to it: customer and agency routes answer 403 until then' }),
  agency: AgencyRefJson.optional(),
}).meta({ id: 'Me' });

export const TokensJson = z
  .object({
    access_token: z.string(),
    refresh_token: z.string(),
    id_token: z.string(),
    expires_in: z.number().int().meta({ description: 'Seconds the access token stays valid' }),
    token_type: z.literal('Bearer'),
  })
  .meta({ id: 'Tokens' });

/** An agency's phone and whether it was proved by a code sent to it. */
export const PhoneStatusJson = z
  .object({ phone: z.string().meta({ description: 'E.164, as SMS reach it' }), phone_verified: z.boolean() })
  .meta({ id: 'AgencyPhone' });
export type PhoneStatusJson = z.infer<typeof PhoneStatusJson>;

export const PhoneVerificationJson = PhoneStatusJson.extend({ expires_at: Instant }).meta({ id: 'AgencyPhoneVerification' });
export type PhoneVerificationJson = z.infer<typeof PhoneVerificationJson>;
