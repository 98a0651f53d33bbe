/**
 * The fixed world the vault's known-answer fixtures (tests/fixtures/vault/) were written in:
 * three offline key servers with fixed master keys and object ids, a fixed policy package id and
 * a fixed owner (test keys only, never real ones). The sealed epoch keys in the fixtures are
 * sealed for exactly these servers, so the fixture test can unseal them with the real SDK.
 */
import { createHash } from 'node:crypto';

import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';

import { epochInnerId } from '../../ts/vault/vault.js';
import type { VaultMeta } from '../../ts/vault/storage.js';
import { toHex } from '../../ts/identity.js';
import { startSealTestbed, type SealTestbed } from './seal-testbed.js';

const derive = (label: string) =>
	createHash('sha256').update(`seal-policies vault fixture: ${label}`).digest();

/** A valid BLS12-381 scalar (big-endian, below 2^254 < r). */
function masterKey(i: number): Uint8Array {
	const bytes = derive(`master key ${i}`);
	bytes[0] = bytes[0]! & 0x3f;
	return new Uint8Array(bytes);
}

export const FIXTURE_PACKAGE_ID = `0x${derive('package').toString('hex')}`;
export const FIXTURE_SERVER_IDS = [0, 1, 2].map(
	(i) => `0x${derive(`server ${i}`).toString('hex')}`,
);
export const FIXTURE_OWNER = Ed25519Keypair.fromSecretKey(
	new Uint8Array(derive('owner secret key')),
);

export async function startFixtureBed(): Promise<SealTestbed> {
	return startSealTestbed({
		serverCount: 3,
		masterKeys: [0, 1, 2].map(masterKey),
		objectIds: FIXTURE_SERVER_IDS,
		packageId: FIXTURE_PACKAGE_ID,
	});
}

/** The key servers release every epoch (0..epochs-1) of the vault to the fixture owner. */
export function allowFixtureEpochs(bed: SealTestbed, meta: VaultMeta, epochs: number): void {
	for (let e = 0; e < epochs; e++) {
		bed.policy.allow(toHex(epochInnerId(meta, e)), FIXTURE_OWNER.toSuiAddress());
	}
}

/** What a fixture holds (tests/fixtures/vault/*.expected.json). */
export interface FixtureExpectation {
	/** Vault id (hex) and the pin of its newest epoch. */
	vaultId: string;
	pin: string;
	epochs: number;
	retired: number[];
	/** id → { epoch, version, utf8 plaintext } of every record. */
	records: Record<string, { epoch: number; version: number; text: string }>;
}
