import { UsageError } from '../errors.js';

/**
 * The Sui release `seal-policies sui install` installs by default: the line the Move package,
 * the fixtures and the bundled compiler follow (Sui 1.71).
 */
export const PINNED_SUI_TAG = 'testnet-v1.71.1';

/**
 * A `--version` value as a release tag: `1.71.1` means the testnet release of that version;
 * a full tag (`testnet-v1.71.1`, `mainnet-v1.70.2`, `devnet-v1.72.0`) is taken as it is.
 */
export function suiReleaseTag(version: string): string {
	if (/^[0-9]+\.[0-9]+\.[0-9]+$/.test(version)) return `testnet-v${version}`;
	if (/^(testnet|mainnet|devnet)-v[0-9]+\.[0-9]+\.[0-9]+$/.test(version)) return version;
	throw new UsageError(
		'--version',
		`expected a Sui version such as 1.71.1 or a release tag such as testnet-v1.71.1, got '${version}'`,
	);
}
