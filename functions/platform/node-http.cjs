// What `node:http` resolves to inside a bundle (lib/api-function.ts, BUNDLE_ALIASES). An ESM
// `import … from 'node:http'` (@middy/util does one) makes Node build the module's ESM facade,
// which reads every export, WebSocket's lazy getter included, and so loads undici: ~25 ms of a
// cold start for one constant. Through CommonJS the exports are read only when used.
module.exports = process.getBuiltinModule('node:http');
