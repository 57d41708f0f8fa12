//! Opening the window: native options (app id, title, icon, sizes) and `eframe::run_native`.
//!
//! The caller owns the tokio runtime and passes a handle in; eframe owns the main thread.

use crate::app::App;
use crate::store::secrets::{MemorySecretStore, SecretStore};
use std::path::PathBuf;
use std::sync::Arc;

/// Application id: eframe storage folder, Wayland app id, X11 WM_CLASS.
pub const APP_ID: &str = "shiftgate";

/// The window icon, embedded so the binary needs no files next to it.
pub const ICON_PNG: &[u8] = include_bytes!("../assets/icon-256.png");

/// How to start the GUI.
pub struct GuiOptions {
    /// Runtime that runs tasks (connection tests); keep it alive until `run` returns.
    pub runtime: tokio::runtime::Handle,
    /// Where `profiles.toml` lives (and, when set, the window-layout state too); `None` = the
    /// platform config directory or `$SHIFTGATE_CONFIG_DIR`.
    pub config_dir: Option<PathBuf>,
    /// Secret store for passwords; `None` = memory only.
    pub secrets: Option<Arc<dyn SecretStore>>,
    /// Close the window after this many frames (smoke tests).
    pub exit_after_frames: Option<u64>,
    /// Save a PNG of the window, then close (after `exit_after_frames`, default 10 frames).
    pub screenshot: Option<PathBuf>,
}

impl GuiOptions {
    pub fn new(runtime: tokio::runtime::Handle) -> GuiOptions {
        GuiOptions {
            runtime,
            config_dir: None,
            secrets: None,
            exit_after_frames: None,
            screenshot: None,
        }
    }
}

/// The icon decoded for the window; `None` only if the embedded PNG were broken.
pub fn window_icon() -> Option<egui::IconData> {
    eframe::icon_data::from_png_bytes(ICON_PNG).ok()
}

/// Open the window and run until it is closed.
pub fn run(options: GuiOptions) -> Result<(), String> {
    let GuiOptions { runtime, config_dir, secrets, exit_after_frames, screenshot } = options;
    let secrets = secrets.unwrap_or_else(|| Arc::new(MemorySecretStore::default()));
    let exit_after_frames = exit_after_frames.or_else(|| screenshot.as_ref().map(|_| 10));

    let mut viewport = egui::ViewportBuilder::default()
        .with_app_id(APP_ID)
        .with_title("Shiftgate")
        .with_inner_size([1180.0, 780.0])
        .with_min_inner_size([760.0, 480.0]);
    if let Some(icon) = window_icon() {
        viewport = viewport.with_icon(Arc::new(icon));
    }
    let native = eframe::NativeOptions {
        viewport,
        // Portable / test installs keep the layout state next to their profiles.
        persistence_path: config_dir.as_ref().map(|d| d.join("ui-state.ron")),
        ..Default::default()
    };
    eframe::run_native(
        APP_ID,
        native,
        Box::new(move |cc| {
            let mut app = App::from_creation_context(cc, runtime, config_dir.as_deref(), secrets)?;
            app.set_exit_plan(exit_after_frames, screenshot);
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| format!("Could not open the window: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn embedded_icon_decodes() {
        let icon = super::window_icon().expect("assets/icon.png is a valid PNG");
        assert_eq!((icon.width, icon.height), (256, 256));
    }
}
