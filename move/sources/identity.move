/// Inner-id helpers shared by the policy modules.
///
/// A Seal identity is `[package id][inner id]`; the key server passes the inner id to
/// `seal_approve*` as `id`. Both policies use inner ids of the form `[prefix][nonce]`, where the
/// prefix names who may decrypt (an allowlist object id or an owner address, 32 bytes) and the
/// nonce (any length, possibly empty) tells identities under the same prefix apart.
module seal_policies::identity;

/// Returns `prefix ++ nonce`.
public(package) fun inner_id(prefix: vector<u8>, nonce: vector<u8>): vector<u8> {
    let mut id = prefix;
    id.append(nonce);
    id
}

/// True when `id` starts with `prefix` (an id equal to `prefix` counts). An `id` shorter than
/// `prefix` never matches.
public(package) fun has_prefix(id: &vector<u8>, prefix: &vector<u8>): bool {
    let len = prefix.length();
    if (id.length() < len) return false;
    let mut i = 0;
    while (i < len) {
        if (id[i] != prefix[i]) return false;
        i = i + 1;
    };
    true
}
