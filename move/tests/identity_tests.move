#[test_only]
module seal_policies::identity_tests;

use seal_policies::identity;
use std::unit_test::assert_eq;

const CAFE: vector<u8> = x"000000000000000000000000000000000000000000000000000000000000cafe";

// === inner_id (shared vector V3 with the TypeScript identity helpers) ===

#[test]
fun inner_id_matches_vector_v3() {
    assert_eq!(
        identity::inner_id(CAFE, x"deadbeef"),
        x"000000000000000000000000000000000000000000000000000000000000cafedeadbeef",
    );
}

#[test]
fun inner_id_with_empty_nonce_is_the_prefix() {
    assert_eq!(identity::inner_id(CAFE, vector[]), CAFE);
}

// === has_prefix ===

#[test]
fun has_prefix_accepts_prefix_followed_by_nonce() {
    let prefix = CAFE;
    assert!(identity::has_prefix(&identity::inner_id(prefix, x"deadbeef"), &prefix));
}

#[test]
fun has_prefix_accepts_equal_bytes() {
    let prefix = CAFE;
    assert!(identity::has_prefix(&prefix, &prefix));
}

#[test]
fun has_prefix_accepts_empty_prefix() {
    assert!(identity::has_prefix(&x"01", &vector[]));
    assert!(identity::has_prefix(&vector[], &vector[]));
}

#[test]
fun has_prefix_rejects_shorter_id() {
    let prefix = CAFE;
    let mut short = prefix;
    short.pop_back();
    assert!(!identity::has_prefix(&short, &prefix));
    assert!(!identity::has_prefix(&vector[], &prefix));
}

#[test]
fun has_prefix_rejects_difference_in_last_prefix_byte() {
    let prefix = CAFE;
    let mut id = prefix;
    *&mut id[31] = 0xff;
    id.push_back(0x01);
    assert!(!identity::has_prefix(&id, &prefix));
}

#[test]
fun has_prefix_rejects_difference_in_first_byte() {
    let prefix = CAFE;
    let mut id = identity::inner_id(prefix, x"00");
    *&mut id[0] = 0x01;
    assert!(!identity::has_prefix(&id, &prefix));
}
