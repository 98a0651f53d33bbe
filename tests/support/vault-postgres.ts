/**
 * A throwaway PostgreSQL server for the vault's storage tests: initdb into a temp dir and
 * pg_ctl on a free loopback port, stopped and deleted afterwards. As root (CI, this machine) the
 * server runs as the `postgres` user, which PostgreSQL requires. Where no server can be started
 * the caller gets one reason to print and skips.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPostgres {
	url: string;
	stop(): Promise<void>;
}

/** Directory holding `initdb` and `pg_ctl`: PATH first, then Debian's versioned directories. */
function findBinDir(): string | undefined {
	for (const dir of (process.env.PATH ?? '').split(delimiter)) {
		if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
	}
	const root = '/usr/lib/postgresql';
	if (!existsSync(root)) return undefined;
	const versions = readdirSync(root)
		.filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
		.sort((a, b) => Number(b) - Number(a));
	return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
	try {
		const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
		const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
		return { uid, gid };
	} catch {
		return undefined;
	}
}

/** Starts a server, or returns the reason it cannot. */
export async function startTestPostgres(): Promise<TestPostgres | { skip: string }> {
	const bin = findBinDir();
	if (bin === undefined) {
		return { skip: 'PostgreSQL is not installed (apt-get install postgresql; .ci/run does)' };
	}
	const asRoot = process.getuid?.() === 0;
	const user = asRoot ? await postgresUser() : undefined;
	if (asRoot && user === undefined) {
		return { skip: 'running as root and there is no postgres user to run the server as' };
	}
	const dir = await mkdtemp(join(tmpdir(), 'vault-pg-'));
	if (user) await chown(dir, user.uid, user.gid);
	const data = join(dir, 'data');
	const exec = (tool: string, args: string[]) =>
		asRoot
			? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args])
			: run(join(bin, tool), args);
	const port = await freePort();
	try {
		await exec('initdb', ['-D', data, '-A', 'trust', '-U', 'vault', '-E', 'UTF8', '--no-sync']);
		await exec('pg_ctl', [
			'-D',
			data,
			'-l',
			join(dir, 'server.log'),
			'-w',
			'-t',
			'60',
			'-o',
			`-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off`,
			'start',
		]);
	} catch (error) {
		await rm(dir, { recursive: true, force: true });
		return { skip: `PostgreSQL could not start: ${(error as Error).message.split('\n')[0]}` };
	}
	return {
		url: `postgres://vault@127.0.0.1:${port}/postgres`,
		async stop() {
			await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
			await rm(dir, { recursive: true, force: true });
		},
	};
}
