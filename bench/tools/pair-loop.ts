/**
 * `node --import tsx bench/tools/pair-loop.ts <url> <n> [hubKey] [serial]`: n sequential pairing
 * round trips against a running relay, as the bench's pairing client does them; for strace or perf
 * attached to the server (count syscalls per round trip) without the whole bench around it.
 * Start that relay with PAIRING_CODE_REQUESTS=100000000/1m: a home takes 10 code requests per 10 minutes.
 * `PAIR_DIALECT=baseline` speaks the baseline's routes instead (bench/baseline/server.ts).
 */
import { dialects, pairOnce } from '../load/dialects.ts';
import { HttpClient } from '../load/http.ts';
import { connectSocket } from '../load/sockets.ts';
import { BENCH_HUB_KEY, BENCH_SERIAL, type ServerKind } from '../lib/servers.ts';

const [url, n = '300', hubKey = BENCH_HUB_KEY, serial = BENCH_SERIAL] = process.argv.slice(2);
if (!url) {
  console.error('usage: pair-loop <url> <n> [hubKey] [serial]');
  process.exit(2);
}
const kind: ServerKind = process.env.PAIR_DIALECT === 'baseline' ? 'baseline' : 'relay';
const target = { kind, url, serial, hubKey };
const http = new HttpClient(url);
const kiosk = await connectSocket(dialects[kind].kiosk(target));
const started = performance.now();
for (let i = 0; i < Number(n); i++) await pairOnce(dialects[kind], http, kiosk);
console.log(`${n} round trips, ${((performance.now() - started) / Number(n)).toFixed(2)} ms each`);
kiosk.close();
http.close();
