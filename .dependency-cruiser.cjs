// Layering of src/ (DESIGN.md, "Shape of the code"), checked by `npm run lint` (part of `npm test`).
// Domain folders hold the rules of the product; they must not know how they are reached (HTTP,
// Socket.IO) nor how the process is put together. Features and the composition root wire them up.
const domain = '^src/(pairing|qr|devices|grants|homes|tokens|credentials|store|guests|audit)/';
const transport = '^src/(http|realtime)/';
const composition = '^src/(main|compose|server|services|app|feature|cli-main)\\.ts$|^src/(features|cli)/';

const forbid = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from }, to });

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    forbid('domain-not-to-transport', 'Domain code is reached through ports (src/ports.ts) and features, never imports http/ or realtime/.', domain, {
      path: transport,
    }),
    forbid('domain-not-to-composition', 'The composition root, server, CLI and features depend on domain code, not the other way.', domain, {
      path: composition,
    }),
    forbid('transport-not-to-composition', 'http/ and realtime/ are handed what they need (types: src/deps.ts), never the wiring.', transport, {
      path: composition,
    }),
    forbid('realtime-not-to-http', 'Socket handlers and REST routes are siblings: shared helpers live outside both (src/validation.ts).', '^src/realtime/', {
      path: '^src/http/',
    }),
    forbid('no-circular', 'A cycle makes module initialisation order matter.', '^src/', { circular: true }),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
