//! The profile list's search and its filtered, sorted view of the store.

use super::profile_search::SearchIndex;
use shiftgate_core::profile::Profile;

/// Search text plus the filtered, sorted view of the store it produces. The view is recomputed only
/// when the search or the store changes, from a lowercase index built once per store revision
/// (narrowing the previous view while the search only grows), so 10,000 profiles stay instant.
#[derive(Debug, Default)]
pub struct ProfileList {
    pub search: String,
    index: SearchIndex,
    /// The needle [`Self::visible`] was filtered for (`None`: not yet filtered).
    filtered_for: Option<String>,
    /// Indices into the store's profile slice, sorted by display name (valid after `refresh`).
    pub visible: Vec<usize>,
    /// Row to bring into view on the next frame (set by keyboard navigation).
    pub scroll_to: Option<usize>,
    /// Scroll offset and viewport height of the list in the last frame.
    pub last_offset: f32,
    pub last_view_height: f32,
    /// A row had keyboard focus in the last frame.
    pub rows_focused: bool,
}

impl ProfileList {
    /// Recompute [`Self::visible`] if the search or the store (`revision`) changed. Matches name,
    /// host, database, user and engine, case-insensitively.
    pub fn refresh(&mut self, profiles: &[Profile], revision: u64) {
        let rebuilt = self.index.update(profiles, revision);
        let needle = self.search.trim().to_lowercase();
        let previous = if rebuilt { None } else { self.filtered_for.as_deref() };
        if previous == Some(needle.as_str()) {
            return;
        }
        // Every match of a longer needle matched the shorter one it contains.
        let narrow = previous.is_some_and(|p| needle.contains(p));
        self.visible = self.index.filter(&needle, narrow.then_some(self.visible.as_slice()));
        self.filtered_for = Some(needle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftgate_core::profile::Engine;
    #[test]
    fn search_filters_and_sorts() {
        let mut a = Profile::new(Engine::Redshift);
        a.name = "zeta".into();
        let mut b = Profile::new(Engine::Postgres);
        b.name = "Alpha".into();
        b.host = "db.example.com".into();
        let profiles = vec![a, b];
        let mut list = ProfileList::default();
        list.refresh(&profiles, 0);
        assert_eq!(list.visible, vec![1, 0]);
        list.search = "EXAMPLE".into();
        list.refresh(&profiles, 0);
        assert_eq!(list.visible, vec![1]);
    }
}
