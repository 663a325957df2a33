/**
 * The local HTTP server (the one `npm run dev` runs) for the search benchmark, in its own
 * process so the benchmark's clients do not share its event loop. The parent passes
 * DATABASE_URL and DB_POOL_MAX; this prints `listening <base url>` once ready.
 */
Object.assign(process.env, {
  STAGE: 'local',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  IMAGES_PUBLIC_BASE_URL: process.env.IMAGES_PUBLIC_BASE_URL ?? 'https://images.example.com',
});
const { createLocalServer, listen } = await import('../dev/local-server');
const server = createLocalServer();
console.log(`listening ${await listen(server, 0)}`);
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});

export {};
