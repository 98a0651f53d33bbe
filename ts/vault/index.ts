/** Records vault: public surface. */
export * from './vault.js';
export * from './storage.js';
export * from './record-cipher.js';
export * from './key-cache.js';
export * from './records-file.js';
export * from './record-id.js';
export * from './record-size.js';
export * from './errors.js';
export * from './epoch-chain.js';
export {
	openSqliteStorage,
	VAULT_APPLICATION_ID,
	type SqliteStorageOptions,
} from './sqlite-storage.js';
export { openPostgresStorage, type PostgresStorageOptions } from './postgres-storage.js';
