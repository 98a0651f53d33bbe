/**
 * The SDK-header check Mysten applies to every `/v1/*` request (MystenLabs/seal
 * crates/key-server/src/server.rs at ddc7e5d6, `handle_request_headers` and
 * `validate_sdk_version_for_type`; common.rs `ClientSdkType::from_header`):
 * - a repeated header counts with its FIRST value (`HeaderMap::get`);
 * - `Client-Sdk-Version` is required, must be visible ASCII (`to_str`) and a semver 2.0
 *   version as the `semver` crate parses it (no leading zeros, no empty identifiers, numbers
 *   within u64, no surrounding text);
 * - `Client-Sdk-Type` (exact, case-sensitive) picks the requirement: typescript `>=0.4.5`,
 *   aggregator `>=0.6.2`, rust/python `>=0.0.0`, anything else none;
 * - `semver::VersionReq::matches` rejects a pre-release version unless a comparator names the
 *   same major.minor.patch with a pre-release: with these requirements, every pre-release
 *   version of a typed SDK is `DeprecatedSDKVersion`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { KeyServerRequestError } from './errors.js';
import { HEADER_SDK_TYPE, HEADER_SDK_VERSION, MESSAGES } from './protocol.js';

const MINIMUM: Record<string, readonly [bigint, bigint, bigint]> = {
	typescript: [0n, 4n, 5n],
	aggregator: [0n, 6n, 2n],
	rust: [0n, 0n, 0n],
	python: [0n, 0n, 0n],
};

const NUM = '(0|[1-9][0-9]*)';
const PRE_ID = '(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)';
const BUILD_ID = '[0-9A-Za-z-]+';
const SEMVER = new RegExp(
	`^${NUM}\\.${NUM}\\.${NUM}(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+${BUILD_ID}(?:\\.${BUILD_ID})*)?$`,
);
const U64_MAX = (1n << 64n) - 1n;

export interface SdkHeaders {
	/** `sdk_type` label as Mysten's metrics spell it. */
	sdkType: string;
	version: string;
}

/** First value of a header, as `HeaderMap::get` returns it. */
export function firstHeader(
	distinct: NodeJS.Dict<string[]> | undefined,
	headers: IncomingHttpHeaders,
	name: string,
): string | undefined {
	const values = distinct?.[name];
	if (values) return values[0];
	const value = headers[name];
	return Array.isArray(value) ? value[0] : value;
}

export function checkSdkHeaders(
	headers: IncomingHttpHeaders,
	distinct?: NodeJS.Dict<string[]>,
): SdkHeaders {
	const version = firstHeader(distinct, headers, HEADER_SDK_VERSION);
	if (version === undefined) {
		throw new KeyServerRequestError(
			'MissingRequiredHeader',
			'Missing required header: Client-Sdk-Version',
		);
	}
	const parsed = parseSemver(version);
	if (!parsed) throw new KeyServerRequestError('InvalidSDKVersion', MESSAGES.InvalidSDKVersion);
	const type = firstHeader(distinct, headers, HEADER_SDK_TYPE) ?? '';
	const minimum = Object.hasOwn(MINIMUM, type) ? MINIMUM[type] : undefined;
	if (minimum && (parsed.pre || compare(parsed.core, minimum) < 0)) {
		throw new KeyServerRequestError('DeprecatedSDKVersion', MESSAGES.DeprecatedSDKVersion);
	}
	return { sdkType: minimum ? type : 'other', version };
}

/** `semver::Version::parse`; undefined when it would fail. */
export function parseSemver(
	text: string,
): { core: [bigint, bigint, bigint]; pre: boolean } | undefined {
	// (`HeaderValue::to_str` fails on non-ASCII; the pattern below is ASCII-only anyway.)
	const match = SEMVER.exec(text);
	if (!match) return undefined;
	const core = [BigInt(match[1]!), BigInt(match[2]!), BigInt(match[3]!)] as [
		bigint,
		bigint,
		bigint,
	];
	if (core.some((part) => part > U64_MAX)) return undefined;
	return { core, pre: match[4] !== undefined };
}

function compare(a: readonly bigint[], b: readonly bigint[]): number {
	for (let i = 0; i < 3; i++) {
		if (a[i]! !== b[i]!) return a[i]! < b[i]! ? -1 : 1;
	}
	return 0;
}
