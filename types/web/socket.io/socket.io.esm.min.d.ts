// The pages import Socket.IO's ESM client from the relay (/socket.io/socket.io.esm.min.js,
// served because serveClient is on). tsconfig.web.json maps types/web onto public/ (rootDirs),
// so that import finds the types of the same client package here.
export { io, Socket } from 'socket.io-client';
