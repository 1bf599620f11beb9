use super::*;

#[test]
fn identifiers() {
    assert_eq!(sanitize_identifier("a.b-c"), "a_b_c");
    assert!(is_c_identifier("_a1"));
    assert!(!is_c_identifier("1a"));
    assert!(!is_c_identifier(""));
    assert_eq!(
        datasec_ident(".data.foo-bar").as_deref(),
        Some("data_foo_bar")
    );
    assert_eq!(datasec_ident(".addr_space.1").as_deref(), Some("arena"));
    assert_eq!(datasec_ident(".maps"), None);
}
