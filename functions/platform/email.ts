import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import * as z from 'zod';
import type { OutgoingEmail } from '#core/notifications/delivery';
import { defineConfig } from './config';

export const emailConfig = defineConfig(
  'email',
  z.object({
    /** The verified SES identity mail is sent from (CDK context sesFromAddress). */
    EMAIL_FROM: z.string().min(3).max(254),
    // Set locally to the aws-ses-v2-local emulator; unset in AWS.
    SES_ENDPOINT: z.url().optional(),
    AWS_REGION: z.string().default('ap-southeast-1'),
  }),
);

let client: SESv2Client | undefined;

/** One SESv2 client per process; locally its endpoint is the emulator's (mail shows at `${SES_ENDPOINT}/`). */
function ses(): SESv2Client {
  const config = emailConfig();
  client ??= new SESv2Client({ region: config.AWS_REGION, ...(config.SES_ENDPOINT ? { endpoint: config.SES_ENDPOINT } : {}) });
  return client;
}

/** Sends one email with SESv2 SendEmail: subject, text and HTML, tagged with its kind. */
export async function sendEmail(email: OutgoingEmail): Promise<void> {
  await ses().send(
    new SendEmailCommand({
      FromEmailAddress: emailConfig().EMAIL_FROM,
      Destination: { ToAddresses: [email.to] },
      Content: {
        Simple: {
          Subject: { Data: email.subject, Charset: 'UTF-8' },
          Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
        },
      },
      EmailTags: [{ Name: 'kind', Value: email.kind }],
    }),
  );
}
