//! The app's paged list over a real vault file: rows, the selected match, a
//! link's name located, and a listing rebuilt when the vault changes,
//! whichever connection changed it.

use keyhaven_core::{
    KdfParams, SecretName, Vault,
    listing::{Cache, ListFilter, ListRequest, MAX_ROWS},
    secret::SecretFields,
};
use secrecy::SecretString;

fn pass(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

fn name(text: &str) -> SecretName {
    SecretName::parse(text).unwrap()
}

fn today() -> jiff::civil::Date {
    "2026-06-01".parse().unwrap()
}

fn names(page: &keyhaven_core::listing::ListPage) -> Vec<&str> {
    page.rows.iter().map(|item| item.name.as_str()).collect()
}

#[test]
fn pages_carry_only_the_rows_asked_for_and_the_selected_match() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let mut vault = Vault::create(&path, &pass("correct horse"), KdfParams::custom(8, 1).unwrap()).unwrap();
    for i in 0..50 {
        let fields = SecretFields {
            category: Some(if i % 2 == 0 { "even" } else { "odd" }.into()),
            ..Default::default()
        };
        vault.set(&name(&format!("KEY_{i:02}")), &pass(&format!("value-{i}")), &fields).unwrap();
    }
    let mut cache = Cache::default();

    let request = ListRequest { start: 10, count: 3, selected: 42, ..Default::default() };
    let page = cache.page(&vault, &keyhaven_core::sync::Choosers::unknown(), &request, today()).unwrap();
    assert_eq!((page.total, page.matched, page.start), (50, 50, 10));
    assert_eq!(names(&page), ["KEY_10", "KEY_11", "KEY_12"]);
    assert_eq!(page.rows[1].meta.as_ref().unwrap().category, "odd");
    assert_eq!(page.selected.as_ref().unwrap().name.as_str(), "KEY_42");
    assert_eq!(page.categories, ["even", "odd"]);

    let odd = ListFilter { category: "odd".into(), ..Default::default() };
    let request = ListRequest { filter: odd, count: 2, find: Some("KEY_07".into()), ..Default::default() };
    let page = cache.page(&vault, &keyhaven_core::sync::Choosers::unknown(), &request, today()).unwrap();
    assert_eq!((page.matched, page.found), (25, Some(3)));
    assert_eq!(names(&page), ["KEY_01", "KEY_03"]);

    // Past the end, too many, or a name that is not there: empty, capped, none.
    let request =
        ListRequest { start: 60, count: 5, selected: 99, find: Some("NOPE".into()), ..Default::default() };
    let page = cache.page(&vault, &keyhaven_core::sync::Choosers::unknown(), &request, today()).unwrap();
    assert!(page.rows.is_empty() && page.selected.is_none() && page.found.is_none());
    assert_eq!(page.start, 50);
    for i in 50..(MAX_ROWS + 10) {
        vault.set(&name(&format!("KEY_{i:03}")), &pass("v"), &SecretFields::default()).unwrap();
    }
    let page = cache
        .page(
            &vault,
            &keyhaven_core::sync::Choosers::unknown(),
            &ListRequest { count: u32::MAX, ..Default::default() },
            today(),
        )
        .unwrap();
    assert_eq!((page.matched, page.rows.len()), (MAX_ROWS + 10, MAX_ROWS as usize));
}

#[test]
fn the_listing_follows_changes_from_this_connection_and_from_others() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let mut vault = Vault::create(&path, &pass("correct horse"), KdfParams::custom(8, 1).unwrap()).unwrap();
    vault.set(&name("FIRST"), &pass("one"), &SecretFields::default()).unwrap();
    let mut cache = Cache::default();
    let all = ListRequest { count: 10, ..Default::default() };
    assert_eq!(
        names(&cache.page(&vault, &keyhaven_core::sync::Choosers::unknown(), &all, today()).unwrap()),
        ["FIRST"]
    );

    vault.set(&name("SECOND"), &pass("two"), &SecretFields::default()).unwrap();
    assert_eq!(
        names(&cache.page(&vault, &keyhaven_core::sync::Choosers::unknown(), &all, today()).unwrap()),
        ["FIRST", "SECOND"]
    );

    // Another process (the CLI) writes through its own connection.
    let mut other = Vault::open(&path).unwrap().unlock(&pass("correct horse")).unwrap();
    let fields = SecretFields { description: Some("Billing webhook".into()), ..Default::default() };
    other.set(&name("THIRD"), &pass("three"), &fields).unwrap();
    other.remove(&name("FIRST")).unwrap();
    assert_eq!(
        names(&cache.page(&vault, &keyhaven_core::sync::Choosers::unknown(), &all, today()).unwrap()),
        ["SECOND", "THIRD"]
    );
    let billing = ListRequest {
        filter: ListFilter { query: "billing".into(), ..Default::default() },
        count: 10,
        ..Default::default()
    };
    assert_eq!(
        names(&cache.page(&vault, &keyhaven_core::sync::Choosers::unknown(), &billing, today()).unwrap()),
        ["THIRD"]
    );
}
