/**
 * Turns "fetch failed" and friends into one line naming the endpoint (full node or key server,
 * and its URL), the cause (connection refused, unknown host, timeout) and the next step. The
 * Sui gRPC client drops the socket error, so when only the full node can be meant, a short
 * probe of its URL recovers the cause.
 */
import { EndpointUnreachableError } from '../ts/errors.js';
import { VaultError } from '../ts/vault/errors.js';
import { SuiInstallError } from '../ts/sui-install/errors.js';

/** What a command talked to, recorded by `suiContext` for failure messages. */
export interface Endpoints {
	fullNode?: { url: string; network: string };
	faucet?: string;
}

/** Socket error codes that mean "could not reach", with the words we print for them. */
const CAUSES: Readonly<Record<string, string>> = {
	ECONNREFUSED: 'connection refused (nothing is listening there)',
	ECONNRESET: 'connection reset',
	ENOTFOUND: 'unknown host',
	EAI_AGAIN: 'host name lookup failed (no DNS or no network)',
	ETIMEDOUT: 'timed out',
	EHOSTUNREACH: 'host unreachable',
	ENETUNREACH: 'network unreachable',
	UND_ERR_CONNECT_TIMEOUT: 'timed out connecting',
	UND_ERR_SOCKET: 'connection closed',
};

interface Found {
	/** The socket error, when the chain kept it. */
	socket?: { code: string; host?: string; port?: number };
	/** The Sui gRPC client's error (it only talks to the full node). */
	grpc?: boolean;
	/** A bare `fetch failed` (or similar) without detail. */
	fetchFailed?: boolean;
}

/**
 * An `EndpointUnreachableError` for a network failure somewhere in `error`'s cause chain, or
 * undefined when `error` is not one (it is then reported as it is).
 */
export async function explainNetworkError(
	error: unknown,
	endpoints: Endpoints,
	probe: (url: string) => Promise<string | undefined> = probeUrl,
): Promise<EndpointUnreachableError | undefined> {
	// These already name the host they could not reach: re-explaining would misname it.
	// Vault errors name their database (`--db`, `--postgres`), not a key server.
	if (
		error instanceof EndpointUnreachableError ||
		error instanceof SuiInstallError ||
		error instanceof VaultError
	)
		return undefined;
	const found = search(error);
	if (!found.socket && !found.grpc && !found.fetchFailed) return undefined;
	const fullNode = endpoints.fullNode;
	const options = { cause: error };
	if (found.socket) {
		const cause = CAUSES[found.socket.code] ?? found.socket.code;
		const where = hostPort(found.socket.host, found.socket.port);
		if (fullNode && sameEndpoint(fullNode.url, found.socket.host, found.socket.port)) {
			return new EndpointUnreachableError(
				'full node',
				fullNode.url,
				`${cause} — ${fullNodeHint(fullNode)}`,
				options,
			);
		}
		if (endpoints.faucet && sameEndpoint(endpoints.faucet, found.socket.host, found.socket.port)) {
			return new EndpointUnreachableError(
				'faucet',
				endpoints.faucet,
				`${cause} — ${faucetHint()}`,
				options,
			);
		}
		return new EndpointUnreachableError(
			'key server',
			`at ${where}`,
			`${cause} — ${keyServerHint(fullNode)}`,
			options,
		);
	}
	if (!fullNode) return undefined;
	// No socket detail: ask the full node ourselves. If it answers, a key server failed.
	const nodeCause = await probe(fullNode.url);
	if (nodeCause !== undefined) {
		return new EndpointUnreachableError(
			'full node',
			fullNode.url,
			`${nodeCause} — ${fullNodeHint(fullNode)}`,
			options,
		);
	}
	if (found.grpc) return undefined;
	return new EndpointUnreachableError(
		'key server',
		'(one or more)',
		`did not answer (the full node ${fullNode.url} did) — ${keyServerHint(fullNode)}`,
		options,
	);
}

function search(error: unknown): Found {
	const found: Found = {};
	const seen = new Set<unknown>();
	const visit = (value: unknown, depth: number) => {
		if (typeof value !== 'object' || value === null || seen.has(value) || depth > 10) return;
		seen.add(value);
		const record = value as Record<string, unknown>;
		const code = typeof record['code'] === 'string' ? record['code'] : undefined;
		if (code !== undefined && code in CAUSES && !found.socket) {
			const host =
				typeof record['address'] === 'string'
					? record['address']
					: typeof record['hostname'] === 'string'
						? record['hostname']
						: undefined;
			const port = typeof record['port'] === 'number' ? record['port'] : undefined;
			found.socket = {
				code,
				...(host === undefined ? {} : { host }),
				...(port === undefined ? {} : { port }),
			};
		}
		const message = typeof record['message'] === 'string' ? record['message'] : '';
		if (record['name'] === 'RpcError' && /fetch failed|network|unavailable/i.test(message)) {
			found.grpc = true;
		}
		if (/^fetch failed$|Failed to fetch|network error/i.test(message)) found.fetchFailed = true;
		visit(record['cause'], depth + 1);
		if (Array.isArray(record['errors']))
			for (const inner of record['errors']) visit(inner, depth + 1);
	};
	visit(error, 0);
	return found;
}

/** Why `url` cannot be reached, or undefined when it answers (any HTTP status). */
export async function probeUrl(url: string): Promise<string | undefined> {
	try {
		await fetch(url, { method: 'GET', signal: AbortSignal.timeout(3000) });
		return undefined;
	} catch (error) {
		const socket = search(error).socket;
		if (socket) return CAUSES[socket.code] ?? socket.code;
		if (error instanceof Error && error.name === 'TimeoutError') return 'no answer within 3 s';
		return 'unreachable';
	}
}

function fullNodeHint(fullNode: { url: string; network: string }): string {
	return fullNode.network === 'localnet'
		? 'start the localnet with `seal-policies localnet up` (check it with `seal-policies localnet status`), or point SUI_RPC_URL / --network elsewhere'
		: `check your network connection, or set SUI_RPC_URL to a reachable ${fullNode.network} full node`;
}

function keyServerHint(fullNode: { network: string } | undefined): string {
	return fullNode?.network === 'localnet'
		? 'check the key servers with `seal-policies localnet status`'
		: 'check SEAL_SERVER_IDS / config.yaml seal.servers, or retry later';
}

function faucetHint(): string {
	return 'start the localnet with `seal-policies localnet up`';
}

function hostPort(host: string | undefined, port: number | undefined): string {
	if (host === undefined) return '(unknown address)';
	return port === undefined ? host : `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Whether `url` names `host:port` (localhost and 127.0.0.1 count as the same). */
function sameEndpoint(url: string, host: string | undefined, port: number | undefined): boolean {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return false;
	}
	const urlPort = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
	const local = (h: string) =>
		h === 'localhost' || h === '::1' || h === '[::1]' ? '127.0.0.1' : h;
	return (
		host !== undefined &&
		local(parsed.hostname) === local(host) &&
		(port === undefined || port === urlPort)
	);
}
