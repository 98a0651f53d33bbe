// A stand-in key worker for the pool tests: speaks key-worker.ts's messages without any curve
// work, and misbehaves on request. `workerData.backend` is `mode:channel[:dir]`:
//   echo         ready; each task answers per id [threadId, chunk length, index] and the id itself
//   fatal        reports { fatal } instead of ready
//   throw        throws at start (an 'error' event)
//   first-ready  the first worker to create `dir` is ready (echo), the others report fatal
// In echo mode an id's first byte asks for: 0xff exit(3) instead of answering; 0xfe answer, then
// exit(4) 20 ms later; 0xfd answer after 300 ms. A live echo worker answers 'ping' on the
// BroadcastChannel `channel` with 'pong', so a test can see whether any worker still runs.
import { mkdirSync } from 'node:fs';
import { parentPort, threadId, workerData } from 'node:worker_threads';

const [mode, channelName, dir] = String(workerData.backend).split(':');
const port = parentPort;

function echo() {
	const channel = new BroadcastChannel(channelName);
	channel.unref();
	channel.onmessage = (event) => {
		if (event.data === 'ping') channel.postMessage('pong');
	};
	port.on('message', (task) => {
		if (task === 'wipe') return;
		const first = task.fullIds[0]?.[0];
		if (first === 0xff) process.exit(3);
		const answer = () => {
			if (task.encKey.length !== 48) {
				port.postMessage({ id: task.id, error: 'encKey is not a valid G1 point' });
				return;
			}
			const keys = task.fullIds.map((id, index) => [
				new Uint8Array([threadId, task.fullIds.length, index]),
				id,
			]);
			port.postMessage({ id: task.id, keys });
			if (first === 0xfe) setTimeout(() => process.exit(4), 20);
		};
		if (first === 0xfd) setTimeout(answer, 300);
		else answer();
	});
	port.postMessage({ ready: true });
}

if (mode === 'echo') echo();
else if (mode === 'fatal') port.postMessage({ fatal: 'stand-in cannot load its backend' });
else if (mode === 'throw') throw new Error('stand-in crashed at start');
else if (mode === 'first-ready') {
	let first = true;
	try {
		mkdirSync(dir);
	} catch {
		first = false;
	}
	if (first) echo();
	else port.postMessage({ fatal: 'stand-in lost the election' });
}
