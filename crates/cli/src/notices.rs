//! One-line notices on stderr about the secrets a command used: one whose
//! rotate-by date has come. Never on stdout, where scripts read values;
//! `KEYHAVEN_NO_NOTICES=1` turns them off.

use crate::output::note;
use keyhaven_core::{SecretMeta, secret::Rotation};

pub const ENV: &str = "KEYHAVEN_NO_NOTICES";

/// Says which of `used` are overdue for rotation, in one line.
pub fn overdue<'a>(used: impl IntoIterator<Item = &'a SecretMeta>) {
    if std::env::var_os(ENV).is_some_and(|value| !value.is_empty() && value != "0") {
        return;
    }
    if let Some(line) = line(used, jiff::Zoned::now().date()) {
        note!("{line}");
    }
}

fn line<'a>(used: impl IntoIterator<Item = &'a SecretMeta>, today: jiff::civil::Date) -> Option<String> {
    let overdue: Vec<(&SecretMeta, jiff::civil::Date)> = used
        .into_iter()
        .filter_map(|meta| match meta.rotation(today) {
            Some(Rotation::Overdue { by }) => Some((meta, by)),
            _ => None,
        })
        .collect();
    match overdue.as_slice() {
        [] => None,
        [(meta, by)] => Some(format!(
            "keyhaven: {} is due for rotation since {by}: `keyhaven rotate {}` ({ENV}=1 hides this)",
            meta.name, meta.name
        )),
        many => {
            let names: Vec<&str> = many.iter().map(|(meta, _)| meta.name.as_str()).collect();
            Some(format!(
                "keyhaven: {} secrets used are due for rotation ({}): `keyhaven ls --due` ({ENV}=1 hides this)",
                many.len(),
                names.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use keyhaven_core::SecretName;

    use super::*;

    fn meta(name: &str, rotate_by: Option<&str>) -> SecretMeta {
        SecretMeta {
            name: SecretName::parse(name).unwrap(),
            description: String::new(),
            category: String::new(),
            created: Timestamp::UNIX_EPOCH,
            updated: Timestamp::UNIX_EPOCH,
            version: 1,
            rotate_by: rotate_by.map(|date| date.parse().unwrap()),
            deleted: None,
            pinned: false,
            kind: Default::default(),
        }
    }

    #[test]
    fn one_line_for_the_overdue_ones_only() {
        let today = "2026-06-01".parse().unwrap();
        let (past, soon, none) =
            (meta("PAST", Some("2026-05-01")), meta("SOON", Some("2026-06-03")), meta("NONE", None));
        assert_eq!(line([&soon, &none], today), None);
        assert_eq!(
            line([&past, &soon], today).unwrap(),
            "keyhaven: PAST is due for rotation since 2026-05-01: `keyhaven rotate PAST` (KEYHAVEN_NO_NOTICES=1 hides this)"
        );
        let other = meta("OTHER", Some("2026-06-01"));
        assert!(
            line([&past, &other], today)
                .unwrap()
                .contains("2 secrets used are due for rotation (PAST, OTHER)")
        );
    }
}
