//! The app's list of secrets, searched and paged here rather than in the
//! window: the window asks for the rows in view, so a vault of 10,000 secrets
//! never becomes 10,000 objects in the webview, whose memory is what
//! `make bench` holds the app to. The index keeps only what a search needs
//! (about 100 bytes a secret); the rows asked for are read from the vault.

use std::collections::HashMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::{
    Error, Result, SecretMeta, SecretName, Vault,
    secret::Rotation,
    sync::{self, SyncMark, SyncState},
    vault::Stamp,
};

/// The most rows one request gets: more than any window shows.
pub const MAX_ROWS: u32 = 500;

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListFilter {
    /// Words that must all appear in the name, description or category, in any case.
    pub query: String,
    /// Only this category ("" = any).
    pub category: String,
    /// Only secrets past or within 7 days of their rotate-by date
    /// ([`crate::secret::Rotation`]).
    pub due_only: bool,
    /// Only secrets marked for this remote ("" = any).
    pub remote: String,
    /// Only secrets in this state with that remote (or with any remote).
    pub sync: Option<SyncState>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListRequest {
    pub filter: ListFilter,
    /// The first row wanted, counted among the matches.
    pub start: u32,
    /// At most 500 (`MAX_ROWS`).
    pub count: u32,
    /// The match whose detail is shown: sent whole, wherever it is.
    pub selected: u32,
    /// A name to locate among the matches (a `keyhaven://open` link).
    pub find: Option<String>,
}

/// One row: a local secret, or a name only a remote holds.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListItem {
    pub name: SecretName,
    /// `None` for a name known only from a remote (its value is not on this device).
    pub meta: Option<SecretMeta>,
    pub marks: Vec<SyncMark>,
    /// Past or within a week of its rotate-by date, for a person ("due for
    /// rotation since 2026-05-01"); what the "Rotation due" filter keeps.
    pub rotation: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListPage {
    /// Every row, matched or not.
    pub total: u32,
    /// The rows the filter matches.
    pub matched: u32,
    /// Where `rows` starts among the matches.
    pub start: u32,
    pub rows: Vec<ListItem>,
    /// The match at the requested `selected` index, if there is one.
    pub selected: Option<ListItem>,
    /// Where the requested `find` name is among the matches.
    pub found: Option<u32>,
    /// Every category in use, sorted: the filter's choices.
    pub categories: Vec<String>,
    /// Every remote with a mark, sorted.
    pub remotes: Vec<String>,
}

/// What a search needs of one row.
struct Entry {
    name: SecretName,
    /// Name, description and category, lower-cased, one per line.
    text: Box<str>,
    local: bool,
    /// Into `Listing::categories`.
    category: Option<u32>,
    rotate_by: Option<Date>,
    /// Pinned secrets come first.
    pinned: bool,
    /// Remote (into `Listing::remotes`) and state.
    marks: Box<[(u16, SyncState)]>,
}

/// Every local secret and every name only a remote holds, by name.
pub struct Listing {
    entries: Vec<Entry>,
    categories: Vec<String>,
    remotes: Vec<String>,
}

impl Listing {
    /// Read in one pass over the secrets, keeping only what the index needs
    /// (a list of every secret's metadata first would double the app's
    /// memory for it, and glibc keeps what it frees).
    pub fn load(vault: &Vault, choosers: &sync::Choosers) -> Result<Self> {
        let with_remotes = !vault.remotes()?.is_empty();
        let mut builder = Builder::default();
        let mut live = HashMap::new();
        vault.each(|meta| {
            if with_remotes {
                let chosen = choosers.mask(meta.name.as_str(), &meta.category, meta.kind);
                live.insert(meta.name.clone(), sync::Live { version: meta.version, chosen });
            }
            // Programs' items are listed apart ("Stored by programs").
            if meta.kind != crate::secret::SecretKind::Item {
                builder.local(meta);
            }
        })?;
        let marks = if with_remotes { sync::marks(vault, &live)? } else { Vec::new() };
        Ok(builder.finish(marks))
    }

    /// Indices of the entries `filter` lets through, pinned first, then in name order.
    fn matching(&self, filter: &ListFilter, today: Date) -> Vec<u32> {
        let query = filter.query.to_lowercase();
        let words: Vec<&str> = query.split_whitespace().collect();
        // A category or remote nobody has matches nothing.
        let category = match filter.category.as_str() {
            "" => None,
            wanted => match self.categories.iter().position(|c| c == wanted) {
                Some(at) => Some(at as u32),
                None => return Vec::new(),
            },
        };
        let remote = match filter.remote.as_str() {
            "" => None,
            wanted => match self.remotes.iter().position(|r| r == wanted) {
                Some(at) => Some(at as u16),
                None => return Vec::new(),
            },
        };
        let marked = |entry: &Entry| {
            entry.marks.iter().any(|&(r, state)| {
                remote.is_none_or(|wanted| r == wanted) && filter.sync.is_none_or(|wanted| state == wanted)
            })
        };
        (0..)
            .zip(&self.entries)
            .filter(|(_, entry)| {
                category.is_none_or(|wanted| entry.category == Some(wanted))
                    && (!filter.due_only || entry.rotate_by.and_then(|by| Rotation::of(by, today)).is_some())
                    && ((remote.is_none() && filter.sync.is_none()) || marked(entry))
                    && words.iter().all(|word| entry.text.contains(word))
            })
            .map(|(at, _)| at)
            .collect()
    }

    /// The rows `request` asks for; their metadata is read from `vault`.
    pub fn page(&self, vault: &Vault, request: &ListRequest, today: Date) -> Result<ListPage> {
        let matched = self.matching(&request.filter, today);
        let count = request.count.min(MAX_ROWS) as usize;
        let start = (request.start as usize).min(matched.len());
        let rows = matched[start..matched.len().min(start + count)]
            .iter()
            .map(|&at| self.item(vault, at, today))
            .collect::<Result<_>>()?;
        let selected =
            matched.get(request.selected as usize).map(|&at| self.item(vault, at, today)).transpose()?;
        let found = request
            .find
            .as_deref()
            .and_then(|name| matched.iter().position(|&at| self.entries[at as usize].name.as_str() == name));
        Ok(ListPage {
            total: saturate(self.entries.len()),
            matched: saturate(matched.len()),
            start: saturate(start),
            rows,
            selected,
            found: found.map(saturate),
            categories: self.categories.clone(),
            remotes: self.remotes.clone(),
        })
    }

    fn item(&self, vault: &Vault, at: u32, today: Date) -> Result<ListItem> {
        let entry = &self.entries[at as usize];
        let meta = match entry.local.then(|| vault.meta(&entry.name)) {
            Some(Ok(meta)) => Some(meta),
            // Removed by another process since the listing was built; the
            // next request builds it again.
            Some(Err(Error::NotFound { .. })) | None => None,
            Some(Err(err)) => return Err(err),
        };
        let marks = entry
            .marks
            .iter()
            .map(|&(remote, state)| SyncMark {
                remote: self.remotes[usize::from(remote)].clone(),
                name: entry.name.clone(),
                state,
            })
            .collect();
        let rotation =
            meta.as_ref().and_then(|meta| meta.rotation(today)).map(|rotation| rotation.to_string());
        Ok(ListItem { name: entry.name.clone(), meta, marks, rotation })
    }
}

/// Entries as the secrets come, in any order; `finish` sorts them and adds
/// the sync marks.
#[derive(Default)]
struct Builder {
    entries: Vec<Entry>,
    /// Category → its number in order of first use (sorted in `finish`).
    categories: HashMap<String, u32>,
}

impl Builder {
    fn local(&mut self, meta: SecretMeta) {
        let next = saturate(self.categories.len());
        let category = (!meta.category.is_empty())
            .then(|| *self.categories.entry(meta.category.clone()).or_insert(next));
        self.entries.push(Entry {
            text: format!("{}\n{}\n{}", meta.name, meta.description, meta.category).to_lowercase().into(),
            local: true,
            category,
            rotate_by: meta.rotate_by,
            pinned: meta.pinned,
            marks: Box::default(),
            name: meta.name,
        });
    }

    /// `marks` as `sync::overview` gives them: by name, then remote.
    fn finish(self, marks: Vec<SyncMark>) -> Listing {
        let mut categories: Vec<(String, u32)> = self.categories.into_iter().collect();
        categories.sort_unstable();
        let mut renumber = vec![0; categories.len()];
        for (sorted, (_, first)) in (0..).zip(&categories) {
            renumber[*first as usize] = sorted;
        }
        let mut entries = self.entries;
        for entry in &mut entries {
            entry.category = entry.category.map(|first| renumber[first as usize]);
        }
        entries.sort_unstable_by(|a, b| a.name.cmp(&b.name));

        let mut remotes: Vec<String> = marks.iter().map(|mark| mark.remote.clone()).collect();
        remotes.sort_unstable();
        remotes.dedup();
        let mut remote_only = Vec::new();
        for same in marks.chunk_by(|a, b| a.name == b.name) {
            let name = &same[0].name;
            // Fewer than 65,536 remotes: each is a row in the vault.
            let of = |mark: &SyncMark| {
                let at = remotes.binary_search(&mark.remote).unwrap_or_default();
                (u16::try_from(at).unwrap_or(u16::MAX), mark.state)
            };
            let marked: Box<[_]> = same.iter().map(of).collect();
            match entries.binary_search_by(|entry| entry.name.cmp(name)) {
                Ok(at) => entries[at].marks = marked,
                Err(_) => remote_only.push(Entry {
                    text: name.as_str().to_lowercase().into(),
                    local: false,
                    category: None,
                    rotate_by: None,
                    pinned: false,
                    marks: marked,
                    name: name.clone(),
                }),
            }
        }
        entries.append(&mut remote_only);
        // Pinned first, then by name (stable: the entries are sorted by name already).
        entries.sort_by(|a, b| b.pinned.cmp(&a.pinned).then_with(|| a.name.cmp(&b.name)));
        Listing { entries, categories: categories.into_iter().map(|(name, _)| name).collect(), remotes }
    }
}

fn saturate(n: usize) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

/// A listing kept until the vault changes (see [`Stamp`]), so a keystroke
/// searches memory instead of reading 10,000 rows again.
#[derive(Default)]
pub struct Cache {
    /// The vault's stamp, and whether the selections were known (unlocked).
    built: Option<(Stamp, bool, Listing)>,
}

impl Cache {
    /// `choosers`: the remotes' selections when unlocked ([`sync::Choosers`]).
    pub fn page(
        &mut self,
        vault: &Vault,
        choosers: &sync::Choosers,
        request: &ListRequest,
        today: Date,
    ) -> Result<ListPage> {
        let stamp = vault.stamp()?;
        let listing = match self.built.take() {
            Some((built, known, listing)) if built == stamp && known == choosers.known() => listing,
            _ => Listing::load(vault, choosers)?,
        };
        let page = listing.page(vault, request, today);
        self.built = Some((stamp, choosers.known(), listing));
        page
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;

    fn meta(name: &str, description: &str, category: &str, rotate_by: Option<&str>) -> SecretMeta {
        SecretMeta {
            name: SecretName::parse(name).unwrap(),
            description: description.into(),
            category: category.into(),
            created: Timestamp::UNIX_EPOCH,
            updated: Timestamp::UNIX_EPOCH,
            version: 1,
            rotate_by: rotate_by.map(|date| date.parse().unwrap()),
            deleted: None,
            pinned: false,
            kind: Default::default(),
        }
    }

    fn mark(remote: &str, name: &str, state: SyncState) -> SyncMark {
        SyncMark { remote: remote.into(), name: SecretName::parse(name).unwrap(), state }
    }

    fn listing() -> Listing {
        let mut builder = Builder::default();
        for meta in [
            meta("OPENAI_API_KEY", "Chat completions", "ai", Some("2026-01-01")),
            meta("GITHUB_TOKEN", "CI pushes", "ci", None),
            meta("STRIPE_KEY", "Payments: live", "", Some("2027-01-01")),
        ] {
            builder.local(meta);
        }
        builder.finish(vec![
            mark("prod", "OPENAI_API_KEY", SyncState::Synced),
            mark("dev", "GITHUB_TOKEN", SyncState::Pending),
            mark("prod", "ONLY_REMOTE", SyncState::RemoteOnly),
        ])
    }

    fn names(listing: &Listing, filter: ListFilter) -> Vec<&str> {
        let today = "2026-06-01".parse().unwrap();
        listing
            .matching(&filter, today)
            .into_iter()
            .map(|at| listing.entries[at as usize].name.as_str())
            .collect()
    }

    #[test]
    fn pinned_secrets_come_first_then_the_rest_by_name() {
        let mut builder = Builder::default();
        for (name, pinned) in [("ALPHA", false), ("ZULU", true), ("MIKE", false), ("BRAVO", true)] {
            builder.local(SecretMeta { pinned, ..meta(name, "", "", None) });
        }
        let listing = builder.finish(vec![mark("prod", "CHARLIE", SyncState::RemoteOnly)]);
        assert_eq!(names(&listing, ListFilter::default()), ["BRAVO", "ZULU", "ALPHA", "CHARLIE", "MIKE"]);
    }

    #[test]
    fn rows_merge_local_and_remote_only_names_in_name_order() {
        let listing = listing();
        assert_eq!(
            names(&listing, ListFilter::default()),
            ["GITHUB_TOKEN", "ONLY_REMOTE", "OPENAI_API_KEY", "STRIPE_KEY"]
        );
        assert_eq!(listing.categories, ["ai", "ci"]);
        assert_eq!(listing.remotes, ["dev", "prod"]);
    }

    #[test]
    fn every_word_must_appear_in_name_description_or_category_in_any_case() {
        let listing = listing();
        let query =
            |query: &str| names(&listing, ListFilter { query: query.into(), ..ListFilter::default() });
        assert_eq!(query("key"), ["OPENAI_API_KEY", "STRIPE_KEY"]);
        assert_eq!(query("  Payments   KEY "), ["STRIPE_KEY"]);
        assert_eq!(query("ci push"), ["GITHUB_TOKEN"]);
        assert_eq!(query("key ci"), Vec::<&str>::new());
    }

    #[test]
    fn due_means_past_or_within_a_week_of_the_date() {
        let mut builder = Builder::default();
        for (name, by) in
            [("PAST", "2026-05-01"), ("TODAY", "2026-06-01"), ("WEEK", "2026-06-08"), ("LATER", "2026-06-09")]
        {
            builder.local(meta(name, "", "", Some(by)));
        }
        let listing = builder.finish(Vec::new());
        assert_eq!(
            names(&listing, ListFilter { due_only: true, ..ListFilter::default() }),
            ["PAST", "TODAY", "WEEK"]
        );
    }

    #[test]
    fn category_due_remote_and_state_narrow_the_rows() {
        let listing = listing();
        let by = |filter: ListFilter| names(&listing, filter);
        assert_eq!(by(ListFilter { category: "ai".into(), ..ListFilter::default() }), ["OPENAI_API_KEY"]);
        assert_eq!(
            by(ListFilter { category: "nobody's".into(), ..ListFilter::default() }),
            Vec::<&str>::new()
        );
        assert_eq!(by(ListFilter { due_only: true, ..ListFilter::default() }), ["OPENAI_API_KEY"]);
        assert_eq!(
            by(ListFilter { remote: "prod".into(), ..ListFilter::default() }),
            ["ONLY_REMOTE", "OPENAI_API_KEY"]
        );
        assert_eq!(by(ListFilter { remote: "gone".into(), ..ListFilter::default() }), Vec::<&str>::new());
        assert_eq!(
            by(ListFilter { sync: Some(SyncState::Pending), ..ListFilter::default() }),
            ["GITHUB_TOKEN"]
        );
        let prod_pending =
            ListFilter { remote: "prod".into(), sync: Some(SyncState::Pending), ..ListFilter::default() };
        assert_eq!(by(prod_pending), Vec::<&str>::new());
        let dev_pending =
            ListFilter { remote: "dev".into(), sync: Some(SyncState::Pending), ..ListFilter::default() };
        assert_eq!(by(dev_pending), ["GITHUB_TOKEN"]);
    }
}
