/**
 * Wire-level constants of Seal's key-server protocol, as Mysten's server uses them
 * (SEAL_NOTES §1): status codes per error name, fixed messages, headers, limits.
 */
import type { KeyServerErrorName } from './errors.js';

/** Version we report in `X-KeyServer-Version` (the Mysten release whose behaviour we follow). */
export const KEY_SERVER_VERSION = '0.6.10';
export const KEY_SERVER_GIT_VERSION = 'seal-policies-ts';

/** Whole request bodies above this size get 413 (Mysten: `MAX_REQUEST_SIZE`). */
export const MAX_REQUEST_BYTES = 180 * 1024;

/** Mysten's default `session_key_ttl_max`. */
export const DEFAULT_TTL_MAX_MINUTES = 30;

export const HEADER_SDK_VERSION = 'client-sdk-version';
export const HEADER_SDK_TYPE = 'client-sdk-type';

export const STATUS_BY_ERROR: Readonly<Record<KeyServerErrorName, number>> = {
	InvalidPTB: 403,
	InvalidPackage: 403,
	NoAccess: 403,
	InvalidCertificate: 403,
	InvalidSignature: 403,
	InvalidSessionSignature: 403,
	InvalidParameter: 403,
	InvalidMVRName: 403,
	InvalidSDKVersion: 400,
	MissingRequiredHeader: 400,
	InvalidServiceId: 400,
	UnsupportedPackageId: 400,
	DeprecatedSDKVersion: 426,
	Failure: 503,
};

/** Fixed wire messages (those without a per-request detail). */
export const MESSAGES = {
	InvalidPackage: 'Invalid package ID',
	InvalidCertificate: 'Invalid certificate time or ttl',
	InvalidSignature: 'Invalid user signature',
	InvalidSessionSignature: 'Invalid session key signature',
	InvalidMVRName: 'Invalid MVR name',
	InvalidSDKVersion: 'Invalid SDK version',
	InvalidServiceId: 'Invalid service ID',
	UnsupportedPackageId: 'Unsupported package ID',
	DeprecatedSDKVersion: 'Deprecated SDK version',
	Failure: 'Internal server error, please try again later',
} as const;
