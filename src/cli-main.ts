import { runCli } from './cli.ts';
import { loadEnvFile } from './paths.ts';

// The `relay` command's process: bin/relay runs the compiled form (dist/cli-main.js); tests and
// development run this file through tsx.
loadEnvFile();
const code = await runCli(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
if (code >= 0) process.exitCode = code;
