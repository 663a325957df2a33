import type { NotificationSender } from '#core/notifications/delivery';
import { sendEmail } from './email';
import { sendSms, smsConfig } from './sms';

/** The NotificationSender port: SES for email; SNS for SMS only when SMS_ENABLED=true, else SMS rows are skipped. */
export function notificationSender(): NotificationSender {
  return smsConfig().SMS_ENABLED ? { sendEmail, sendSms } : { sendEmail };
}
