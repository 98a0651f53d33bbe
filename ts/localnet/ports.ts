/** Port checks before starting anything, so a leftover node is reported instead of clobbered. */
import { connect } from 'node:net';

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect({ port, host });
		const done = (inUse: boolean) => {
			socket.destroy();
			resolve(inUse);
		};
		socket.setTimeout(1_000, () => done(false));
		socket.once('connect', () => done(true));
		socket.once('error', () => done(false));
	});
}

/** The ports of `url`s that are taken (URLs without a port use the scheme's default). */
export async function busyPorts(ports: readonly number[]): Promise<number[]> {
	const checks = await Promise.all(
		ports.map(async (port) => ((await portInUse(port)) ? port : undefined)),
	);
	return checks.filter((port): port is number => port !== undefined);
}
