//! What survives a restart (eframe storage): panel sizes, the last profile, the open results tab.

use serde::{Deserialize, Serialize};
use shiftgate_core::profile::ProfileId;

/// Which tab the results area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ResultsTab {
    #[default]
    TestReport,
    Log,
    Setup,
    Verify,
    Teardown,
}

impl ResultsTab {
    pub const ALL: [ResultsTab; 5] = [
        ResultsTab::TestReport,
        ResultsTab::Log,
        ResultsTab::Setup,
        ResultsTab::Verify,
        ResultsTab::Teardown,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ResultsTab::TestReport => "Test report",
            ResultsTab::Log => "Log",
            ResultsTab::Setup => "Setup",
            ResultsTab::Verify => "Verify",
            ResultsTab::Teardown => "Teardown",
        }
    }

    /// The catalog-user tabs: they are forms, so they open taller (with their own remembered height).
    pub fn is_workflow(self) -> bool {
        matches!(self, ResultsTab::Setup | ResultsTab::Verify | ResultsTab::Teardown)
    }
}

/// What survives a restart. Profiles are NOT here (they live in the profile store); this is only
/// disposable layout state, so a decode failure just means defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UiState {
    /// Width of the profiles panel, in points.
    pub profiles_width: f32,
    /// Height of the results panel, in points.
    pub results_height: f32,
    /// Height of the results panel while a Setup / Verify / Teardown tab is open.
    pub workflow_height: f32,
    /// The profile open when the app last closed.
    pub last_profile: Option<ProfileId>,
    pub results_tab: ResultsTab,
}

impl Default for UiState {
    fn default() -> Self {
        UiState {
            profiles_width: 260.0,
            results_height: 260.0,
            workflow_height: 560.0,
            last_profile: None,
            results_tab: ResultsTab::TestReport,
        }
    }
}

impl UiState {
    /// Key under which the state is kept in eframe storage.
    pub const STORAGE_KEY: &'static str = eframe::APP_KEY;

    pub fn load(storage: Option<&dyn eframe::Storage>) -> UiState {
        let mut state: UiState =
            storage.and_then(|s| eframe::get_value(s, Self::STORAGE_KEY)).unwrap_or_default();
        // A hand-edited or corrupted size must not make a panel vanish or swallow the window.
        let defaults = UiState::default();
        if !(180.0..=640.0).contains(&state.profiles_width) {
            state.profiles_width = defaults.profiles_width;
        }
        if !(100.0..=900.0).contains(&state.results_height) {
            state.results_height = defaults.results_height;
        }
        if !(200.0..=1400.0).contains(&state.workflow_height) {
            state.workflow_height = defaults.workflow_height;
        }
        state
    }

    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, Self::STORAGE_KEY, self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_state_tolerates_missing_fields() {
        let s: UiState = serde_json::from_str(r#"{"profiles_width": 300.0}"#).unwrap();
        assert_eq!(s.profiles_width, 300.0);
        assert_eq!(s.results_tab, ResultsTab::TestReport);
    }
}
