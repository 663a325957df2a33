import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import type { OutgoingSms } from '#core/notifications/delivery';
import { booleanFlag, defineConfig } from './config';

export const smsConfig = defineConfig(
  'sms',
  z.object({
    /** SMS costs money per message and needs an origination setup: off unless switched on. */
    SMS_ENABLED: booleanFlag.default(false),
    /** Alphanumeric sender id, where the destination country supports one. */
    SMS_SENDER_ID: z
      .string()
      .regex(/^[A-Za-z0-9]{1,11}$/, 'must be 1–11 letters or digits')
      .optional(),
    AWS_REGION: z.string().default('ap-southeast-1'),
  }),
);

let client: SNSClient | undefined;

/** Sends one transactional SMS with SNS Publish to a phone number (E.164). */
export async function sendSms(sms: OutgoingSms): Promise<void> {
  const config = smsConfig();
  client ??= new SNSClient({ region: config.AWS_REGION });
  await client.send(
    new PublishCommand({
      PhoneNumber: sms.to,
      Message: sms.text,
      MessageAttributes: {
        'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
        ...(config.SMS_SENDER_ID ? { 'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: config.SMS_SENDER_ID } } : {}),
      },
    }),
  );
}
