//! The profile list's search index: each profile's searchable fields lowercased once per store
//! revision, and the display-name order, so a keystroke costs one substring scan over the
//! candidates and no allocation per profile. When the search text only grew, the scan narrows the
//! previous result instead of the whole store.
//!
//! Pure data over `&[Profile]`; it never touches the store or the UI.

use shiftgate_core::profile::Profile;

/// Separates fields in a haystack so a match can't span two fields (no one can type it).
const FIELD_SEPARATOR: char = '\u{0}';

/// Lowercase haystacks and the sorted order of one store revision.
#[derive(Debug, Default)]
pub struct SearchIndex {
    revision: Option<u64>,
    /// Store indices sorted by lowercase display name, ties by position.
    order: Vec<usize>,
    /// Per store index: name, host, database, user and engine, lowercased.
    haystacks: Vec<String>,
}

impl SearchIndex {
    /// Rebuild for `revision` unless already built for it; `true` when it rebuilt.
    pub fn update(&mut self, profiles: &[Profile], revision: u64) -> bool {
        if self.revision == Some(revision) && self.haystacks.len() == profiles.len() {
            return false;
        }
        self.haystacks = profiles.iter().map(haystack).collect();
        let names: Vec<String> = profiles.iter().map(|p| p.display_name().to_lowercase()).collect();
        self.order = (0..profiles.len()).collect();
        self.order.sort_by(|&a, &b| names[a].cmp(&names[b]).then(a.cmp(&b)));
        self.revision = Some(revision);
        true
    }

    /// Store indices matching `needle` (already lowercase; empty matches all), in display order.
    /// `within` (a previous result of this index, in display order) limits the scan to it.
    pub fn filter(&self, needle: &str, within: Option<&[usize]>) -> Vec<usize> {
        let candidates = within.unwrap_or(&self.order);
        if needle.is_empty() {
            return candidates.to_vec();
        }
        candidates
            .iter()
            .copied()
            .filter(|&i| self.haystacks.get(i).is_some_and(|h| h.contains(needle)))
            .collect()
    }
}

fn haystack(p: &Profile) -> String {
    let fields =
        [p.name.as_str(), p.host.as_str(), p.database.as_str(), p.user.as_str(), p.engine.label()];
    let mut h = String::with_capacity(fields.iter().map(|f| f.len() + 1).sum());
    for f in fields {
        h.push_str(&f.to_lowercase());
        h.push(FIELD_SEPARATOR);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftgate_core::profile::Engine;

    fn profiles() -> Vec<Profile> {
        let mk = |name: &str, host: &str, engine| {
            let mut p = Profile::new(engine);
            p.name = name.into();
            p.host = host.into();
            p.user = "admin".into();
            p
        };
        vec![
            mk("Zeta Warehouse", "zeta.example.com", Engine::Redshift),
            mk("alpha", "db.internal", Engine::Postgres),
            mk("ÉTÉ ventes", "ete.example.org", Engine::Postgres),
            mk("beta", "beta.example.com", Engine::Redshift),
        ]
    }

    #[test]
    fn order_is_by_lowercase_display_name() {
        let p = profiles();
        let mut ix = SearchIndex::default();
        assert!(ix.update(&p, 1));
        assert!(!ix.update(&p, 1), "same revision: nothing to do");
        assert_eq!(ix.filter("", None), vec![1, 3, 0, 2]);
    }

    #[test]
    fn matches_any_field_case_insensitively_but_not_across_fields() {
        let p = profiles();
        let mut ix = SearchIndex::default();
        ix.update(&p, 1);
        assert_eq!(ix.filter("example.com", None), vec![3, 0]);
        assert_eq!(ix.filter("été", None), vec![2], "Unicode lowercase");
        assert_eq!(ix.filter("redshift", None), vec![3, 0], "engine label");
        assert_eq!(ix.filter("alphadb", None), Vec::<usize>::new());
    }

    #[test]
    fn narrowing_a_previous_result_equals_a_full_scan() {
        let p = profiles();
        let mut ix = SearchIndex::default();
        ix.update(&p, 1);
        let wide = ix.filter("e", None);
        for needle in ["ex", "exa", "example.c", "zeta"] {
            assert_eq!(ix.filter(needle, Some(&wide)), ix.filter(needle, None), "{needle}");
        }
    }

    #[test]
    fn a_new_revision_rebuilds() {
        let mut p = profiles();
        let mut ix = SearchIndex::default();
        ix.update(&p, 1);
        p[1].name = "omega".into();
        assert!(ix.update(&p, 2));
        assert_eq!(ix.filter("omega", None), vec![1]);
        assert_eq!(ix.filter("", None), vec![3, 1, 0, 2]);
    }
}
