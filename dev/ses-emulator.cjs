'use strict';
/**
 * The SES emulator (aws-ses-v2-local) in a process of its own, started by startSes in
 * dev/emulators.ts: in the API's process, its store of every message ever sent grew the dev
 * server by tens of MB a minute under load. It keeps the newest SES_EMULATOR_KEEP
 * messages (default 5000) and forgets older ones. Plain CommonJS: it swaps the package's
 * saveEmail, which the package's handlers look up on the module's exports at each call.
 * Exits when its parent does (its stdin, a pipe from the parent, closes).
 */
const store = require('aws-ses-v2-local/dist/store.js');
const startServer = require('aws-ses-v2-local').default;

const keep = Math.max(1, Number(process.env.SES_EMULATOR_KEEP) || 5000);
const saveEmail = store.saveEmail;
store.saveEmail = (email) => {
  saveEmail(email);
  const { emails } = store.getStoreReadonly();
  if (emails.length > keep) emails.splice(0, emails.length - keep);
};

process.stdin.resume();
process.stdin.on('close', () => process.exit(0));

startServer({ host: '127.0.0.1', port: Number(process.env.PORT) }).catch((error) => {
  console.error('SES emulator failed to start', error);
  process.exit(1);
});
