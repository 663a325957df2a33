import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, startSes } from '../../dev/emulators';
import { freePort } from '../../dev/ports';

describe('the SES emulator (npm run dev, tests)', () => {
  it('keeps only the newest messages, which /store lists, and is gone once stopped', async () => {
    const emulator = await startSes({ port: await freePort(), keep: 3 });
    const ses = new SESv2Client({ endpoint: emulator.endpoint, region: 'local', credentials: EMULATOR_CREDENTIALS });
    try {
      for (let index = 1; index <= 5; index++) {
        await ses.send(
          new SendEmailCommand({
            FromEmailAddress: 'noreply@example.com',
            Destination: { ToAddresses: ['someone@example.com'] },
            Content: { Simple: { Subject: { Data: `message ${index}` }, Body: { Text: { Data: 'hello' } } } },
          }),
        );
      }
      const answer = await fetch(`${emulator.endpoint}/store`);
      const { emails } = (await answer.json()) as { emails: Array<{ subject: string }> };
      expect(emails.map((email) => email.subject)).toEqual(['message 3', 'message 4', 'message 5']);
    } finally {
      ses.destroy();
      await emulator.stop();
    }
    // Stopped means gone: nothing answers on its port any more.
    await expect(fetch(`${emulator.endpoint}/store`)).rejects.toThrow();
  });
});
