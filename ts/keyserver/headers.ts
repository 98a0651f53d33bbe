/**
 * The SDK-header check Mysten applies to every `/v1/*` request: `Client-Sdk-Version` is required
 * and must be semver; `Client-Sdk-Type` picks the minimum version (typescript ≥ 0.4.5,
 * aggregator ≥ 0.6.2, anything else: any valid version).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { KeyServerRequestError } from '../errors.js';
import { HEADER_SDK_TYPE, HEADER_SDK_VERSION, MESSAGES } from './protocol.js';

const MINIMUM: Record<string, readonly [number, number, number]> = {
	typescript: [0, 4, 5],
	aggregator: [0, 6, 2],
};

const SEMVER =
	/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export function checkSdkHeaders(headers: IncomingHttpHeaders): void {
	const version = single(headers[HEADER_SDK_VERSION]);
	if (version === undefined) {
		throw new KeyServerRequestError(
			'MissingRequiredHeader',
			'Missing required header: Client-Sdk-Version',
		);
	}
	const match = SEMVER.exec(version.trim());
	if (!match) throw new KeyServerRequestError('InvalidSDKVersion', MESSAGES.InvalidSDKVersion);
	const parts = [Number(match[1]), Number(match[2]), Number(match[3])] as const;
	const minimum = MINIMUM[single(headers[HEADER_SDK_TYPE]) ?? ''];
	if (minimum && compare(parts, minimum) < 0) {
		throw new KeyServerRequestError('DeprecatedSDKVersion', MESSAGES.DeprecatedSDKVersion);
	}
}

function single(value: string | string[] | undefined): string | undefined {
	return Array.isArray(value) ? value[0] : value;
}

function compare(a: readonly number[], b: readonly number[]): number {
	for (let i = 0; i < 3; i++) {
		const d = (a[i] ?? 0) - (b[i] ?? 0);
		if (d !== 0) return d;
	}
	return 0;
}
