/** Mail the SES emulator (aws-ses-v2-local) has accepted, as listed at GET ${SES_ENDPOINT}/store. */
export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

/** Every email sent to this address so far (the emulator is shared by all test files: use unique addresses). */
export async function sentMailTo(address: string): Promise<StoredEmail[]> {
  const answer = await fetch(`${process.env.SES_ENDPOINT}/store`);
  if (!answer.ok) throw new Error(`SES emulator store: ${answer.status}`);
  const { emails } = (await answer.json()) as { emails: StoredEmail[] };
  return emails.filter((email) => email.destination.to.includes(address));
}

/**
 * The code of the newest verification e-mail to this address: its text holds the code as six
 * digits, which is how a person, or a test, reads it from the SES emulator.
 */
export async function verificationCodeMailedTo(address: string): Promise<string | undefined> {
  const mail = (await sentMailTo(address)).filter((email) => email.subject === 'Your Phuket Rental verification code');
  const newest = mail.sort((a, b) => a.at - b.at).at(-1);
  return newest?.body.text?.match(/\b(\d{6})\b/)?.[1];
}
