/**
 * Output files of the encrypt/decrypt/rewrap commands: written whole or not at all (see
 * `writeFileAtomic`; pass mode 0o600 for plaintext).
 */
export { writeFileAtomic as writeOutputAtomic } from '../atomic-file.js';
